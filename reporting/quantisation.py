"""python -m reporting.quantisation --pair HF_RESULTS GGUF_RUN [GGUF_RUN ...] [--pair ...] --samples A.tar.xz
    --bench runs/quantisation/bench.json --out reports/quantisation.md

What exporting to GGUF and quantising costs: pass@1 of each GGUF run (`python -m assistant.grade`) beside the
Hugging Face run it came from, paired document by document (McNemar's exact test on the documents one side
passed and the other failed), with file size, generation tokens/s and peak RSS from `benchmarks/bench_gguf.py`."""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from .results import load_archived_runs, repo_relative

TASKS = ("mbpp_custom_alpaca", "mbppplus_custom_alpaca", "humaneval_custom_alpaca", "custom_suite_alpaca")


def mcnemar_p(b: int, c: int) -> float:
    """Two-sided exact McNemar test: b and c are the discordant counts."""
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(b, c) + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def parent_task(task: str) -> str | None:
    return next((t for t in TASKS if task == t or task.startswith(t + "_")), None)


def verdicts(run) -> dict[tuple[str, str], tuple[bool, str]]:
    """(task, doc_hash) -> (passed, generation) for every logged sample of the run's Alpaca tasks."""
    out = {}
    for task, samples in run.samples.items():
        parent = parent_task(task)
        if parent is None:
            continue
        for s in samples:
            out[(parent, s["doc_hash"])] = (s.get("pass@1") == 1.0, s["resps"][0][0])
    return out


def paired(hf: dict, gguf: dict, task: str | None = None) -> dict:
    keys = [k for k in hf if k in gguf and (task is None or k[0] == task)]
    b = sum(hf[k][0] and not gguf[k][0] for k in keys)
    c = sum(gguf[k][0] and not hf[k][0] for k in keys)
    return {"n": len(keys), "hf_only": b, "gguf_only": c, "p": mcnemar_p(b, c),
            "identical": sum(hf[k][1] == gguf[k][1] for k in keys),
            "hf_pass": sum(hf[k][0] for k in keys), "gguf_pass": sum(gguf[k][0] for k in keys)}


def _pct(passes: int, n: int) -> str:
    return f"{100 * passes / n:.1f} ({passes}/{n})" if n else "–"


def build(pairs: list[list[str]], samples: list[str], bench: str | None, out: Path) -> Path:
    groups = load_archived_runs([[p[0]] for p in pairs] + [[g] for p in pairs for g in p[1:]], samples)
    hf_runs, gguf_runs = groups[:len(pairs)], groups[len(pairs):]
    speed = {Path(r["gguf"]).resolve(): r for r in json.loads(Path(bench).read_text())["rows"]} if bench else {}
    cmd = "python -m reporting.quantisation " + " ".join(f"--pair {' '.join(p)}" for p in pairs) + \
        (f" --samples {' '.join(samples)}" if samples else "") + (f" --bench {bench}" if bench else "") + f" --out {out}"
    lines = ["# What GGUF export and quantisation cost", "", f"Built by `{cmd}`.", "",
             "pass@1 % (passed/graded), greedy, the Alpaca prompt, 512 new tokens at most. **HF bf16** is the committed "
             "Transformers run on a GPU; the GGUF rows were served by llama.cpp (`llama-cpp-python` 0.3.36, CPU build "
             "with AVX2) and graded through lm-eval's `local-completions` model. *paired* compares each GGUF run with "
             "HF bf16 on the documents both graded: passed only by HF / only by the GGUF, McNemar's exact p, and how "
             "many generations are byte-identical. Speed and memory: `benchmarks/bench_gguf.py` on this machine's 2 "
             "cores, nothing else running (a fixed set of prompts; see the command under the table).", ""]
    verdict_lines = []
    k = 0
    for pair, hf_group in zip(pairs, hf_runs):
        if not hf_group:
            raise FileNotFoundError(f"{pair[0]}: no results_*.json")
        hf = hf_group[0]
        hv = verdicts(hf)
        lines += [f"## {hf.label}", "", "| weights | " + " | ".join(TASKS) + " | all | paired: HF only / GGUF only, p"
                  " | identical generations | file MiB | gen tokens/s | peak RSS MiB | command |",
                  "| --- |" + " ---: |" * (len(TASKS) + 5) + " --- |"]
        hf_cells = [_pct(sum(v[0] for key, v in hv.items() if key[0] == t), sum(key[0] == t for key in hv)) for t in TASKS]
        lines.append(f"| HF bf16 | " + " | ".join(hf_cells) + f" | {_pct(sum(v[0] for v in hv.values()), len(hv))} | – | – "
                     f"| – | – | – | `{repo_relative(hf.command())}` |")
        for g in pair[1:]:
            runs = gguf_runs[k]
            k += 1
            if not runs:
                raise FileNotFoundError(f"{g}: no results_*.json")
            gv = verdicts(runs[0])
            served = json.loads((Path(g) / "served.json").read_text())
            quant = Path(served["gguf"]).stem.removeprefix("model-")
            s = speed.get(Path(served["gguf"]).resolve(), {})
            cells = [_pct(sum(v[0] for key, v in gv.items() if key[0] == t), sum(key[0] == t for key in gv)) for t in TASKS]
            pr = paired(hv, gv)
            tps = f"{s['generation_tokens_per_s']:.1f}" if s.get("generation_tokens_per_s") else "–"
            rss = f"{s['peak_rss_bytes'] / 2**20:.0f}" if s.get("peak_rss_bytes") else "–"
            grade_cmd = (f"python -m assistant.grade --gguf {served['gguf']} --output_path {g} --threads {served['threads']}"
                         + (f" --limit {served['limit']}" if served.get("limit") else ""))
            lines.append(f"| GGUF {quant} | " + " | ".join(cells) + f" | {_pct(pr['gguf_pass'], pr['n'])} | "
                         f"{pr['hf_only']} / {pr['gguf_only']}, p = {pr['p']:.2g} | {pr['identical']}/{pr['n']} | "
                         f"{served['gguf_bytes'] / 2**20:.0f} | {tps} | {rss} | `{grade_cmd}` |")
            per_task = [(t, paired(hv, gv, t)) for t in TASKS]
            beyond = [f"{t} ({p['hf_only']} vs {p['gguf_only']}, p = {p['p']:.2g})" for t, p in per_task if p["p"] < 0.05]
            verdict_lines.append(f"- {hf.label}, {quant}: " + (
                f"differs from HF bf16 beyond noise (p < 0.05) on {', '.join(beyond)}" if beyond else
                f"no difference from HF bf16 beyond noise on any task (all tasks: {pr['hf_only']} documents passed only "
                f"in HF, {pr['gguf_only']} only in the GGUF, p = {pr['p']:.2g})") + ".")
        lines.append("")
    lines += ["## Beyond noise?", "", *verdict_lines, "",
              "Documents are matched by lm-eval's `doc_hash`; a custom-suite task changed since the HF run has no pair "
              "and is left out of *paired* (the per-task cells count every graded document).", ""]
    if bench:
        b = json.loads(Path(bench).read_text())
        lines += ["## Speed and memory", "", f"`{b['command']}` ({b['prompts']} prompts, {b['threads']} threads, "
                  f"{b['max_tokens']} new tokens at most, {b['cpu']}).", "",
                  "| GGUF | file MiB | prompt tokens/s | generation tokens/s | generated tokens | peak RSS MiB |",
                  "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for r in b["rows"]:
            lines.append(f"| `{r['gguf']}` | {r['gguf_bytes'] / 2**20:.0f} | {r['prompt_tokens_per_s']:.0f} | "
                         f"{r['generation_tokens_per_s']:.1f} | {r['generated_tokens']} | {r['peak_rss_bytes'] / 2**20:.0f} |")
        lines.append("")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m reporting.quantisation", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pair", nargs="+", action="append", required=True, metavar="DIR",
                   help="an HF results folder, then the assistant.grade output folders of its GGUF exports")
    p.add_argument("--samples", nargs="*", default=[], help=".tar.xz archives holding the HF runs' samples")
    p.add_argument("--bench", help="benchmarks/bench_gguf.py's JSON")
    p.add_argument("--out", type=Path, default=Path("reports/quantisation.md"))
    a = p.parse_args(argv)
    bad = [x for x in a.pair if len(x) < 2]
    if bad:
        p.error(f"--pair {bad[0][0]}: name at least one GGUF run after the HF results folder")
    print(build(a.pair, a.samples, a.bench, a.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
