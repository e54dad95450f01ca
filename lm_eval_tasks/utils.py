# What the task YAMLs call: datasets and prompts (evaluation.documents), sandbox grading and metrics
# (evaluation.grading).
from evaluation.documents import (  # noqa: F401
    dataset_custom,
    dataset_humaneval,
    dataset_mbpp,
    dataset_mbppplus,
    prompt_alpaca,
    prompt_mbpp_3shot,
    prompt_zeroshot,
)
from evaluation.grading import grade_filter, nanmean, process_results  # noqa: F401
