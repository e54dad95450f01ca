"""reports/data.md and its length histogram, from the manifest the pipeline wrote."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def histogram(lengths: dict[str, np.ndarray], sequence_len: int, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    top = max((int(v.max()) for v in lengths.values() if len(v)), default=sequence_len)
    bins = np.linspace(0, min(top, 2 * sequence_len), 60)
    for name, values in lengths.items():
        ax.hist(np.clip(values, 0, bins[-1]), bins=bins, alpha=0.55, label=f"{name} (n={len(values)})")
    ax.axvline(sequence_len, color="k", ls="--", lw=1, label=f"sequence_len = {sequence_len}")
    ax.set_xlabel("tokens per row (Mistral-7B tokenizer, Alpaca prompt + response)")
    ax.set_ylabel("rows")
    ax.set_title("CodeAlpaca (Python) row lengths, all splits")
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion k / n."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre, half = p + z * z / (2 * n), z * ((p * (1 - p) + z * z / (4 * n)) / n) ** 0.5
    return max(0.0, (centre - half) / (1 + z * z / n)), min(1.0, (centre + half) / (1 + z * z / n))


def _decontamination(m: dict, labels_path: Path) -> list[str]:
    lines = ["", "## Decontamination rule", ""]
    if m.get("decontamination_rule"):
        lines += [f"Rule: {m['decontamination_rule']}.", ""]
    if m.get("split_groups"):
        g = m["split_groups"]
        lines += [f"Rows asking the same thing in other words share a split ({g['rule']}): {g['rows']:,} rows in "
                  f"{g['groups']:,} groups.", ""]
    if labels_path.exists():
        import json

        labels = [x for x in json.loads(labels_path.read_text(encoding="utf-8")) if x.get("same") is not None]
        lines += [f"False positives, read by hand in [{labels_path.name}]({labels_path.name}) (a seeded sample of each "
                  "check's removals, `python -m codealpaca_prep.audit ... --labels-out`; `same`: the row asks for "
                  "the computation the task asks for):", "",
                  "| check | rule | labelled | not the same task | false-positive rate (95 % interval) |",
                  "| --- | --- | ---: | ---: | --- |"]
        keys = sorted({(x["check"], x.get("rule") or "") for x in labels}) + sorted({(x["check"], "all") for x in labels})
        for check, rule in keys:
            sel = [x for x in labels if x["check"] == check and rule in ("all", x.get("rule") or "")]
            k = sum(1 for x in sel if not x["same"])
            lo, hi = wilson(k, len(sel))
            lines.append(f"| {check} | {rule or '–'} | {len(sel)} | {k} | {k / len(sel):.0%} ({lo:.0%}–{hi:.0%}) |")
        lines.append("")
    lines += ["`same` means the row asks for the computation the task asks for; a method the task names but its tests "
              "cannot see (\"using shell sort\", \"using regex\") does not make a row different. The functional check "
              "runs only the row's imports, functions and classes (demo code such as `print(f(my_list))` dropped), "
              "binds the row's function to the name the task's tests call (dropping trailing arguments an MBPP call "
              "passes that the function does not take), and tries a row only on tasks whose call its function's arity "
              "admits and that are among its 8 closest by content words or are named like it. A pass on MBPP's three "
              "asserts alone is not enough for tasks MBPP+ extends: `is_prime` passes MBPP 20's tests for Woodall "
              "numbers, and fails MBPP+'s inputs. The price of that strictness: a row asking for an MBPP+ task that "
              "its answer gets wrong on MBPP+'s extra inputs stays unless another check catches it (`delete empty "
              "values` for MBPP 465, whose answer also drops False and empty strings where MBPP+ drops only None).", "",
              "Which benchmark tasks the rows of a prepared split are contaminated with, by these checks: "
              "`python -m codealpaca_prep.contamination DATA_DIR --manifest MANIFEST --out FILE.json`. It checks every "
              "JSONL it reads against the sha256 the manifest records and writes `{rule, made_by, prep_commit, "
              "data_manifest, data_sha256 (of the manifest file), split, rows_checked, rows_contaminated, tasks: "
              "{task id: [row ids]}, evidence: {row id: [{benchmark, field, score, rule, names}]}}`. Task ids are "
              "spelled as the evaluation samples spell them: `mbpp/N` (MBPP), `Mbpp/N` (MBPP+), `HumanEval/N`; a row "
              "matched to an MBPP task is listed under both spellings where MBPP+ has the task, and MBPP tasks outside "
              "the evaluated test split (ids 11-510) are listed too. `evidence[...].field` says which check matched "
              "(`tests`: the functional check; `core words`, `paraphrase`, `instruction`, `code`: the text checks)."]
    return lines


def write_markdown(manifest: dict, path: Path, histogram_name: str, before: dict | None = None,
                   before_name: str | None = None) -> None:
    m = manifest
    lines = ["# CodeAlpaca-20k → Python instruction data", "",
             f"Generated by `{m['command']}` from `{m['input']['source']}` (sha256 `{m['input']['sha256'][:16]}…`)."
             + (f" The *before* columns are `{before_name}` ({before.get('kept', 0):,} rows kept)." if before else ""), ""]
    old_stages = {s["stage"]: s for s in (before or {}).get("stages", [])}
    old_reasons = {(s["stage"], r): n for s in old_stages.values() for r, n in s["reasons"].items()}
    extra = " | before: removed | before: out" if before else ""
    lines += ["## Funnel", "", "| stage | rows in | removed | rows out" + extra + " |",
              "| --- | ---: | ---: | ---:" + (" | ---: | ---:" if before else "") + " |"]
    for s in m["stages"]:
        o = old_stages.get(s["stage"])
        tail = (f" | {o['removed']:,} | {o['out']:,}" if o else " | – | –") if before else ""
        lines.append(f"| {s['stage']} | {s['in']:,} | {s['removed']:,} | {s['out']:,}{tail} |")
    lines += ["", "## Why rows were removed", "", "| stage | reason | rows" + (" | before" if before else "") + " |",
              "| --- | --- | ---:" + (" | ---:" if before else "") + " |"]
    for s in m["stages"]:
        for reason, n in s["reasons"].items():
            tail = f" | {old_reasons.get((s['stage'], reason), 0):,}" if before else ""
            lines.append(f"| {s['stage']} | {reason} | {n:,}{tail} |")
        if before:
            for (stage, reason), n in old_reasons.items():
                if stage == s["stage"] and reason not in s["reasons"]:
                    lines.append(f"| {s['stage']} | {reason} | 0 | {n:,} |")
    lines += ["", "Every removed row, with its reason (and the benchmark task it overlaps), is in `rejected.jsonl`.", "",
              "## Splits (hash of the row id, or of the first row of its same-task group; MBPP stays the external test set)", "",
              "| split | rows |", "| --- | ---: |"]
    for split, n in m["splits"].items():
        lines.append(f"| {split} | {n:,} |")
    seq = m["tokens"]["sequence_len"]
    lines += ["", "## Token lengths (Mistral-7B-v0.1 tokenizer, exact Axolotl alpaca prompt, <s> and </s> included)", "",
              f"| variant | split | rows | p50 | p90 | p99 | max | rows over {seq} |", "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for variant, splits in m["tokens"]["stats"].items():
        for split, st in splits.items():
            cells = [st.get(k, "–") for k in ("p50", "p90", "p99", "max", f"over_{seq}")]
            lines.append(f"| {variant} | {split} | {st['rows']:,} | " + " | ".join(map(str, cells)) + " |")
    lines += ["", f"Recommended `sequence_len`: **{m['tokens']['recommended_sequence_len'] or '– (no rows kept)'}** "
              "(the smallest of 512/768/1024/1536/2048/… that holds the p99 row of every variant).", "",
              f"![length histogram]({histogram_name})"]
    ex = m.get("explanations")
    if ex and ex.get("rows"):
        lines += ["", "## Explanations (`code_explained`)", "",
                  f"{ex['distinct']:,} distinct texts for {ex['rows']:,} rows ({ex['distinct_share']:.1%}). "
                  "The sentences found in the most rows:", "", "| rows | share | sentence |", "| ---: | ---: | --- |"]
        lines += [f"| {t['rows']:,} | {t['share']:.1%} | {t['sentence']} |" for t in ex["top_sentences"]]
    lines += _decontamination(m, path.parent / "data_labels.json")
    audit = path.parent / "data_audit.md"
    if audit.exists():
        lines += ["", "## Decontamination audit", "", f"False-positive rates of the new checks, read by hand: [{audit.name}]({audit.name})."]
    lines += ["", f"Explainer: `{m['explainer']}`. Versions: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()) + "."]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """python -m codealpaca_prep.report MANIFEST --out reports/data.md [--compare OLD_MANIFEST]: rewrite data.md from
    a manifest the prep wrote (after the labels in data_labels.json beside it change), without preparing again."""
    import argparse
    import json

    p = argparse.ArgumentParser(prog="python -m codealpaca_prep.report", description=main.__doc__)
    p.add_argument("manifest", type=Path)
    p.add_argument("--out", type=Path, required=True, help="the data.md to write (its histogram is linked, not redrawn)")
    p.add_argument("--compare", type=Path, default=None, help="an earlier manifest whose counts go beside")
    a = p.parse_args(argv)
    m = json.loads(a.manifest.read_text(encoding="utf-8"))
    before = json.loads(a.compare.read_text(encoding="utf-8")) if a.compare else None
    write_markdown(m, a.out, "data_lengths.png", before, str(a.compare) if a.compare else None)
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
