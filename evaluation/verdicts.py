"""The one decoder of the verdicts lm-eval logged for a sample (reports, benchmarks and notebooks call this).

lm-eval writes a filter's output into `filtered_resps` as the Python repr of the grader's dict (older logs wrote
NaN as `nan`), one per generation. `verdicts(sample)` gives them back as dicts. The grader's `syntax_valid` is of
what the model wrote; logs made before that definition counted a prompt's own lines, so a verdict without the
`written` mark gets its syntax validity and error class from `grading.written_metrics`, here, once.
"""
from __future__ import annotations

import ast
import re

_NAN = re.compile(r"(?<=: )nan\b")


def decoded(sample: dict) -> list[dict]:
    """The sample's verdicts as the grader returned them, one per generation, in order."""
    out = []
    for item in sample.get("filtered_resps", []):
        for v in item if isinstance(item, list) else [item]:
            if isinstance(v, str):
                try:
                    v = ast.literal_eval(_NAN.sub("None", v))
                except (ValueError, SyntaxError):
                    continue
            if isinstance(v, dict):
                out.append(v)
    return out


def generations(sample: dict) -> list[str]:
    gens = sample.get("resps", [[]])
    gens = gens[0] if gens and isinstance(gens[0], list) else gens
    return [g if isinstance(g, str) else "" for g in gens]


WRITTEN = ("syntax_valid", "syntax_valid_raw", "runs_clean", "pep8_per_line", "has_docstring", "has_comment",
           "complexity", "loc")


def verdicts(sample: dict) -> list[dict]:
    """decoded() with the measures of what the model wrote (WRITTEN, and `error` "syntax" where it does not parse),
    computed here for logs that predate them."""
    if "_verdicts" in sample:  # decoded once per loaded sample
        return sample["_verdicts"]
    from .grading import written_metrics

    out = []
    for gen, v in zip(generations(sample), decoded(sample)):
        if not v.get("written"):
            m = written_metrics(gen, v.get("code") or "", sample.get("doc", {}).get("prefix", ""), bool(v.get("runs_clean")))
            valid = m["syntax_valid"]
            v = {**v, **m, "error": v.get("error") if valid or v.get("passed") else "syntax", "written": "derived"}
        out.append(v)
    sample["_verdicts"] = out
    return out
