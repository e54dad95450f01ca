# What the task YAMLs call: datasets and prompts (evaluation.documents), sandbox grading and metrics
# (evaluation.grading), and leaving out what no sample measured (evaluation.unmeasured).
from evaluation.documents import (  # noqa: F401
    dataset_custom,
    dataset_humaneval,
    dataset_mbpp,
    dataset_mbppplus,
    instruction_alpaca,
    prompt_alpaca,
    mbpp_fewshot_samples,
    prompt_mbpp_block,
    prompt_zeroshot,
    target_mbpp_block,
)
from evaluation.grading import grade_filter, nanmean, process_results  # noqa: F401
from evaluation.unmeasured import drop_unmeasured  # noqa: F401
