"""What changed in the answers between paired runs: instruction following, verbosity, task and error types."""
from __future__ import annotations

import math
import re
from collections import defaultdict

from .paired import _pairs, _seed_pairs, paired_samples
from .runs import Run, _natural, configurations, main_runs, neighbour, sample_verdicts


def _generation(x: dict) -> str:
    """A logged sample's first generation, as the model wrote it."""
    gens = x.get("resps", [[""]])
    gen = gens[0][0] if gens and isinstance(gens[0], list) else (gens[0] if gens else "")
    return gen if isinstance(gen, str) else ""


# per-document measures of what the model wrote, from its logged sample: (label, unit, function of the sample)
def _stripped(x: dict) -> float | None:
    """Characters of the answer the extractor left out (prose, an "Explanation:", test calls), 0 when none."""
    v = sample_verdicts(x)
    if not v or v[0].get("code") is None:
        return None
    return float(max(0, len(_generation(x).strip()) - len(v[0]["code"].strip())))


def _written_one(x: dict) -> dict:
    """What the model wrote in one greedy sample (evaluation.verdicts): its error class and the quality measures
    of its own lines."""
    v = sample_verdicts(x)
    return {**{k: v[0].get(k) for k in ("loc", "has_docstring", "has_comment")},
            "error": v[0].get("error"), "ok": True} if v else {"ok": False, "error": None}


def _measure(key: str):
    def f(x: dict) -> float | None:
        w = _written_one(x)
        if not w["ok"]:
            return None
        if key.startswith("verdict_"):  # an error kind (grading.ERROR_KINDS), as the metrics name it
            return float(w["error"] == key[len("verdict_"):])
        v = w[key]
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
    return f


WRITING = (("wrong name / signature", "%", _measure("verdict_name_signature")),
           ("syntax error", "%", _measure("verdict_syntax")),
           ("lines of code", "", _measure("loc")),
           ("docstring", "%", _measure("has_docstring")),
           ("comment", "%", _measure("has_comment")),
           ("text left out by the extractor", "%", lambda x: None if (c := _stripped(x)) is None else float(c > 0)),
           ("characters left out", "", _stripped))


def variant_question(runs: list[Run]) -> list[str]:
    """`code` against `code_explained` at each rank, on every Alpaca document both answered with the same prompt:
    instruction following and verbosity, each difference with its paired-bootstrap 95 % interval (recipes' own seed)
    and the difference for every training seed both variants have."""
    from .stats import mean_sd, paired_difference

    configs = configurations(runs)
    main = main_runs(runs)
    pairs = [(name, other) for name in sorted(main, key=_natural) if main[name].variant == "code"
             and (other := neighbour(main, name, variant="code_explained"))]
    if not pairs:
        return []

    def measured(docs: list, measure) -> list[tuple[float, float]]:
        values = [(measure(a), measure(b)) for _, a, b in docs]
        return [(a, b) for a, b in values if a is not None and b is not None]

    lines = ["| rank | measure | documents | code | code_explained | Δ | 95 % interval | Δ per training seed |",
             "| --- | --- | ---: | ---: | ---: | ---: | --- | --- |"]
    for code, explained in pairs:
        main_docs = paired_samples(main[code], main[explained])
        seed_docs = {s: paired_samples(configs[code][s], configs[explained][s])
                     for s in sorted(set(configs[code]) & set(configs[explained]))}
        for label, unit, measure in WRITING:
            values = measured(main_docs, measure)
            if not values:
                continue
            per_seed = {s: measured(docs, measure) for s, docs in seed_docs.items()}
            r = paired_difference([a for a, _ in values], [b for _, b in values])
            k = 100 if unit == "%" else 1
            fmt = (lambda v: f"{k * v:.1f}") if unit == "%" else (lambda v: f"{v:.2f}" if abs(v) < 100 else f"{v:.0f}")
            sign = lambda v: ("+" if v >= 0 else "") + fmt(v)  # noqa: E731
            deltas = {s: sum(b - a for a, b in v) / len(v) for s, v in per_seed.items() if v}
            mean, sd = mean_sd(list(deltas.values())) if len(deltas) > 1 else (None, None)
            spread = ", ".join(f"{s}: {sign(d)}" for s, d in deltas.items()) + \
                (f" (mean {sign(mean)} ± {fmt(sd)})" if mean is not None else "")
            lines.append(f"| r{main[code].rank} | {label}{' %' if unit else ''} | {r['n']} | {fmt(r['first'])} | "
                         f"{fmt(r['second'])} | {sign(r['diff'])} | [{fmt(r['lo'])}, {fmt(r['hi'])}] | "
                         f"{spread if len(deltas) > 1 else '–'} |")
    return lines + ["", "Over all Alpaca tasks' documents together; the first columns pair the recipes' own seed (42), the "
                    "last gives Δ for each training seed both variants were trained with. *Text left out by the "
                    "extractor*: the answer had more than the program graded (an explanation, prose, example calls); "
                    "*characters left out*: how much."]


def _state(x: dict) -> str:
    """A greedy sample's outcome in a few words: passes, or its error class and the first failure's message."""
    v = sample_verdicts(x)
    if not v or v[0].get("passed"):
        return "passes" if v else "no verdict"
    f = v[0].get("first_failure") or {}
    msg = re.sub(r"\s+", " ", f"{f.get('etype') or ''}: {f.get('msg') or ''}".strip(": "))[:60].replace("|", "/")
    return f"{v[0].get('error')}" + (f" (`{msg}`)" if msg else "")


def changes_by_type(runs: list[Run], p_max: float = 0.05) -> list[str]:
    """For each pair of the paired comparisons, over all Alpaca documents: the task types (MBPP topic, custom-suite
    category, benchmark) whose pass@1 changed, and the error types whose rate changed, with McNemar p < p_max; each
    with one document that shows the change."""
    from evaluation.grading import ERROR_KINDS

    from .stats import paired_difference

    def grouped(first: Run, second: Run) -> dict[str, list]:
        groups: dict[str, list] = defaultdict(list)
        for k, a, b in sorted(paired_samples(first, second), key=lambda kab: kab[0]):
            if a.get("pass@1") not in (0.0, 1.0) or b.get("pass@1") not in (0.0, 1.0):
                continue
            groups[f"pass@1, {a['doc'].get('category') or k[0]}"].append((a, b, a["pass@1"], b["pass@1"]))
            wa, wb = _written_one(a), _written_one(b)
            for kind in ERROR_KINDS:
                groups[f"error: {kind}"].append((a, b, float(wa["error"] == kind), float(wb["error"] == kind)))
        return groups

    configs = configurations(runs)
    lines = ["| comparison | what | documents | first % | second % | Δ points | 95 % interval | McNemar p | Δ per "
             "training seed | a document that changed |", "| --- | --- | ---: | ---: | ---: | ---: | --- | ---: | --- | --- |"]
    rows = 0
    for title, first, second, bound_by in _pairs(runs):
        groups = grouped(first, second)
        again = _seed_pairs(configs, first, second, bound_by)
        again_groups = {s: groups if pair[0] is first and pair[1] is second else grouped(*pair)
                        for s, pair in again.items()} if len(again) > 1 else {}
        for what, items in sorted(groups.items()):
            r = paired_difference([x for *_, x, _ in items], [y for *_, y in items])
            if r["p"] >= p_max:
                continue
            up = r["diff"] > 0
            a, b, *_ = next(i for i in items if (i[3] > i[2]) == up and i[3] != i[2])
            deltas = [f"{s}: {100 * sum(y - x for *_, x, y in g[what]) / len(g[what]):+.1f}"
                      for s, g in again_groups.items() if g.get(what)]
            lines.append(f"| {title} | {what} | {r['n']} | {100 * r['first']:.1f} | {100 * r['second']:.1f} | "
                         f"{100 * r['diff']:+.1f} | [{100 * r['lo']:+.1f}, {100 * r['hi']:+.1f}] | {r['p']:.3g} | "
                         f"{', '.join(deltas) or '–'} | {a['doc'].get('task_id')}: {_state(a)} → {_state(b)} |")
            rows += 1
    if not rows:
        return []
    return lines + ["", f"Only changes with McNemar p < {p_max} on the recipes' own seed, many tested at once (expect "
                    "about one in twenty of the unchanged ones to pass by chance); *Δ per training seed*: the same "
                    "difference for each seed both sides were trained with — a change that holds in only one is "
                    "inside seed noise. The document is the first in task order that moved in the direction of the "
                    "change, with how each model's answer fared."]
