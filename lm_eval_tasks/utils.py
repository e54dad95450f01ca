# What the task YAMLs call: datasets and prompts (evaluation.documents), sandbox grading and metrics
# (evaluation.grading). Building a prompt also starts its task's reference in the background, so that references
# run while the model generates.
from evaluation import documents
from evaluation.documents import (  # noqa: F401
    dataset_custom,
    dataset_humaneval,
    dataset_mbpp,
    dataset_mbppplus,
    mbpp_fewshot_samples,
    target_mbpp_block,
)
from evaluation.grading import grade_filter, nanmean, prefetching, process_results  # noqa: F401

prompt_alpaca = prefetching(documents.prompt_alpaca)
prompt_mbpp_block = prefetching(documents.prompt_mbpp_block)
prompt_zeroshot = prefetching(documents.prompt_zeroshot)
