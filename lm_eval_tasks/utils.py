# Thin glue: every task here is graded by the shared codeeval module (sandbox, extraction, metrics).
from codeeval.lm_eval_glue import (  # noqa: F401
    dataset_custom,
    dataset_humaneval,
    dataset_mbpp,
    dataset_mbppplus,
    grade_filter,
    nanmean,
    process_results,
    prompt_alpaca,
    prompt_mbpp_3shot,
    prompt_zeroshot,
)
