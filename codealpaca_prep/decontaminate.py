"""Remove rows that overlap an evaluation task: every MBPP task (974) and every HumanEval task (164).

Instructions are compared by word 3-gram containment (the share of a benchmark prompt's 3-grams, boilerplate
such as "Write a function to" removed, found in the row's instruction + input); code by token 10-gram
containment of the benchmark's reference solution in the row's output.
"""
from __future__ import annotations

import re

from common.benchmark_sets import load_humaneval, load_mbpp

from .load import Row
from .ngrams import ContainmentIndex, code_tokens, ngrams, task_words

TEXT_N, TEXT_THRESHOLD, TEXT_MIN_SHARED = 3, 0.6, 3
CODE_N, CODE_THRESHOLD, CODE_MIN_SHARED = 10, 0.5, 5


def _humaneval_text(prompt: str) -> str:
    doc = re.search(r'("""|\'\'\')(.*?)(\1)', prompt, re.S)
    text = doc.group(2) if doc else prompt
    return text.split(">>>")[0]


def benchmark_texts(mbpp_path=None, humaneval_path=None) -> tuple[dict[str, str], dict[str, str]]:
    mbpp = load_mbpp(mbpp_path) if mbpp_path else load_mbpp()
    he = load_humaneval(humaneval_path) if humaneval_path else load_humaneval()
    texts = {f"mbpp/{t['task_id']}": t["text"] for t in mbpp}
    texts |= {t["task_id"]: _humaneval_text(t["prompt"]) for t in he}
    codes = {f"mbpp/{t['task_id']}": t["code"] for t in mbpp}
    codes |= {t["task_id"]: t["prompt"] + t["canonical_solution"] for t in he}
    return texts, codes


class Decontaminator:
    def __init__(self, mbpp_path=None, humaneval_path=None):
        texts, codes = benchmark_texts(mbpp_path, humaneval_path)
        self.n_tasks = len(texts)
        self.exact = {" ".join(task_words(t)): k for k, t in texts.items()}
        self.text_index = ContainmentIndex({k: ngrams(task_words(t), TEXT_N) for k, t in texts.items()})
        self.code_index = ContainmentIndex({k: ngrams(code_tokens(c), CODE_N) for k, c in codes.items()})

    def match(self, row: Row) -> dict | None:
        """The benchmark task this row overlaps, with the evidence, or None."""
        tw = task_words(row.instruction + " " + row.input)
        key = " ".join(task_words(row.instruction))
        if key in self.exact:
            return {"benchmark": self.exact[key], "field": "instruction", "score": 1.0}
        hit = self.text_index.best(ngrams(tw, TEXT_N), TEXT_MIN_SHARED)
        if hit and hit[1] >= TEXT_THRESHOLD:
            return {"benchmark": hit[0], "field": "instruction", "score": round(hit[1], 3)}
        hit = self.code_index.best(ngrams(code_tokens(row.output), CODE_N), CODE_MIN_SHARED)
        if hit and hit[1] >= CODE_THRESHOLD:
            return {"benchmark": hit[0], "field": "code", "score": round(hit[1], 3)}
        return None

    def split(self, rows: list[Row]) -> tuple[list[Row], list[dict]]:
        kept, removed = [], []
        for row in rows:
            m = self.match(row)
            if m is None:
                kept.append(row)
            else:
                bench = "HumanEval" if m["benchmark"].startswith("HumanEval") else "MBPP"
                removed.append({"index": row.index, "id": row.id, "group": f"overlaps a {bench} task ({m['field']})",
                                "reason": f"overlaps {m['benchmark']} ({m['field']}, containment {m['score']})", **m})
        return kept, removed
