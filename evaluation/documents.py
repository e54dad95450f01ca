"""Evaluation documents in one schema for every benchmark, their prompts, and the datasets lm-eval tasks load.

doc = {task_id, text, prompt_hint, entry_point, reference, prefix, setup, tests (assert strings),
       inputs_json (MBPP+ call inputs [[args...], ...], pickled + base64: they hold tuples, sets, inf), n_base (how many of them are base inputs), atol, category}
"""
from __future__ import annotations

import ast
import base64
import json
import pickle
import re
from functools import lru_cache

from common.benchmark_sets import DATA, MBPP_TEST_IDS, load_humaneval, load_mbpp, load_mbppplus
from common.prompts import alpaca_prompt
from common.pysource import clean_code, normalize_newlines

MBPP_FEWSHOT = (2, 3, 4)  # the few-shot tasks of Austin et al. (2021)
EXCLUDED_PATH = DATA / "excluded.json"
_TOPICS = [("regex", r"\bregex|regular expression|\bre\.\b|\bmatch(es|ing)?\b"),
           ("strings", r"\bstring|\bchar|\bword|\bvowel|\bupper|\blower|\bsubstring|\bpalindrom"),
           ("math", r"\bnumber|\bsum\b|\bprime|\bdigit|\bfactorial|\bsquare|\bdivis|\bgcd|\blcm|\barea|\bvolume|\bperimeter|\bpower|\bmath"),
           ("data structures", r"\btuple|\bdict|\bset\b|\bheap|\bqueue|\bstack|\bmatrix|\blist"),
           ("algorithms", r"\bsort|\bsearch|\bpath|\bsequence|\bsubsequence|\brecurs|\bdynamic")]


def mbpp_topic(text: str) -> str:
    for name, rx in _TOPICS:
        if re.search(rx, text, re.I):
            return name
    return "other"


def _entry_point(tests: list[str]) -> str | None:
    for test in tests:
        try:
            tree = ast.parse(test)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id not in dir(__builtins__) \
                    and node.func.id not in ("set", "sorted", "list", "tuple", "abs", "round", "isclose"):
                return node.func.id
    return None


def excluded(benchmark: str) -> dict[str, str]:
    """task_id -> reason, written by `python -m evaluation.clean_benchmarks` after running every reference."""
    if EXCLUDED_PATH.exists():
        return json.loads(EXCLUDED_PATH.read_text()).get(benchmark, {})
    return {}


@lru_cache(maxsize=None)
def mbpp_docs(include_excluded: bool = False) -> tuple[dict, ...]:
    skip = {} if include_excluded else excluded("mbpp")
    docs = []
    for t in load_mbpp():
        if t["task_id"] not in MBPP_TEST_IDS or f"mbpp/{t['task_id']}" in skip:
            continue
        docs.append(_mbpp_doc(t))
    return tuple(docs)


def _mbpp_doc(t: dict) -> dict:
    tests = [normalize_newlines(x) for x in t["test_list"]]
    return {"task_id": f"mbpp/{t['task_id']}", "text": t["text"].strip(), "prompt_hint": tests[0],
            "entry_point": _entry_point(tests) or "", "reference": clean_code(t["code"]), "prefix": "",
            "setup": normalize_newlines(t.get("test_setup_code") or ""), "tests": tests, "inputs_json": "",
            "n_base": 0, "atol": 0.0, "category": mbpp_topic(t["text"])}


@lru_cache(maxsize=None)
def mbpp_fewshot_docs() -> tuple[dict, ...]:
    by_id = {t["task_id"]: t for t in load_mbpp()}
    return tuple(_mbpp_doc(by_id[i]) for i in MBPP_FEWSHOT)


@lru_cache(maxsize=None)
def mbppplus_docs(include_excluded: bool = False) -> tuple[dict, ...]:
    skip = {} if include_excluded else excluded("mbppplus")
    docs = []
    for t in load_mbppplus():
        if t["task_id"] in skip:
            continue
        prompt = t["prompt"].strip().strip('"').strip()
        lines = prompt.split("\n")
        hint = next((line for line in lines if line.startswith("assert")), "")
        text = " ".join(line for line in lines if not line.startswith("assert")).strip()
        inputs = t["base_input"] + t["plus_input"]
        docs.append({"task_id": t["task_id"], "text": text, "prompt_hint": hint, "entry_point": t["entry_point"],
                     "reference": clean_code(t["canonical_solution"]), "prefix": "", "setup": "", "tests": [],
                     "inputs_json": base64.b64encode(pickle.dumps(inputs)).decode(), "n_base": len(t["base_input"]), "atol": t["atol"],
                     "category": mbpp_topic(text)})
    return tuple(docs)


@lru_cache(maxsize=None)
def humaneval_docs() -> tuple[dict, ...]:
    docs = []
    for t in load_humaneval():
        docs.append({"task_id": t["task_id"], "text": t["prompt"], "prompt_hint": "", "entry_point": t["entry_point"],
                     "reference": t["prompt"] + t["canonical_solution"], "prefix": t["prompt"], "setup": "",
                     "tests": [t["test"] + f"\ncheck({t['entry_point']})\n"], "inputs_json": "", "n_base": 0,
                     "atol": 0.0, "category": "humaneval"})
    return tuple(docs)


# ------------------------------------------------------------------------------------------------ prompts

def prompt_zeroshot(doc: dict) -> str:
    """EvalPlus-style docstring prompt: the task and one assert (so the function name is knowable)."""
    if doc["prefix"]:
        return doc["prefix"]
    return f'"""\n{doc["text"]}\n{doc["prompt_hint"]}\n"""\n'


def prompt_mbpp_block(doc: dict) -> str:
    """One block of the standard MBPP prompt (Austin et al. 2021; lm-eval's `mbpp`); the 3-shot task puts three
    solved blocks (`mbpp_fewshot_samples`) before it through lm-eval's own few-shot mechanism."""
    tests = "\n".join(doc["tests"][:3] or [doc["prompt_hint"]])
    return f"You are an expert Python programmer, and here is your task: {doc['text']} Your code should pass these tests:\n\n{tests}\n[BEGIN]\n"


def target_mbpp_block(doc: dict) -> str:
    return f"{doc['reference']}\n[DONE]" if doc.get("is_fewshot") else doc["reference"]


def mbpp_fewshot_samples() -> list[dict]:
    """MBPP tasks 2-4, the few-shot examples of Austin et al. (2021)."""
    return [{**d, "is_fewshot": True} for d in mbpp_fewshot_docs()]


def prompt_mbpp_3shot(doc: dict) -> str:
    """The whole 3-shot prompt as lm-eval assembles it (block, target, blank line; three times; then the task)."""
    return "".join(prompt_mbpp_block(d) + target_mbpp_block(d) + "\n\n" for d in mbpp_fewshot_samples()) + prompt_mbpp_block(doc)


def instruction_alpaca(doc: dict) -> str:
    """The instruction of the Alpaca prompt: what a chat user sends (the `*_alpaca_chat` tasks), which the exported
    GGUF's chat template wraps in the rest of the prompt."""
    if doc["prefix"]:
        return f"Complete the following Python function.\n\n{doc['prefix']}"
    if doc["prompt_hint"].startswith("assert"):
        return f"{doc['text']} Your code should pass this test: {doc['prompt_hint']}"
    return f"{doc['text']}\nSignature: {doc['prompt_hint']}"  # the custom suite states the signature instead of a test


def prompt_alpaca(doc: dict) -> str:
    """The exact Alpaca prompt the adapters are trained on."""
    return alpaca_prompt(instruction_alpaca(doc))


# ------------------------------------------------------------------------------------ lm-eval datasets

def _dataset(docs):
    import datasets

    return datasets.DatasetDict({"test": datasets.Dataset.from_list([dict(d) for d in docs])})


def dataset_mbpp(**_):
    return _dataset(mbpp_docs())


def dataset_mbppplus(**_):
    return _dataset(mbppplus_docs())


def dataset_humaneval(**_):
    return _dataset(humaneval_docs())


def dataset_custom(category: str | None = None, **_):
    from custom_suite import as_docs

    return _dataset([d for d in as_docs() if category in (None, d["category"])])
