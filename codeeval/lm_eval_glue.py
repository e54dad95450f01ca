"""What lm-eval task YAMLs call (through each task folder's thin utils.py): datasets, prompts, the grading
filter and per-document metrics."""
from __future__ import annotations

from . import grading, tasks


def _dataset(docs):
    import datasets

    return datasets.DatasetDict({"test": datasets.Dataset.from_list([dict(d) for d in docs])})


def dataset_mbpp(**_):
    return _dataset(tasks.mbpp_docs())


def dataset_mbppplus(**_):
    return _dataset(tasks.mbppplus_docs())


def dataset_humaneval(**_):
    return _dataset(tasks.humaneval_docs())


def dataset_custom(category: str | None = None, **_):
    from custom_suite import as_docs

    return _dataset([d for d in as_docs() if category in (None, d["category"])])


prompt_zeroshot = tasks.prompt_zeroshot
prompt_mbpp_3shot = tasks.prompt_mbpp_3shot
prompt_alpaca = tasks.prompt_alpaca


def grade_filter(resps, docs):
    """lm-eval `custom` filter: all generations of all documents at once, graded in parallel."""
    return grading.grade(list(docs), [list(r) for r in resps])


def process_results(doc, results):
    verdicts = results[0] if results and isinstance(results[0], list) else results
    return grading.doc_metrics(verdicts)


nanmean = grading.nanmean
