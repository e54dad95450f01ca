"""python -m reporting.quantisation --pair HF_RESULTS GGUF_RUN [GGUF_RUN ...] [--pair ...] --samples A.tar.xz
    --bench runs/quantisation/bench.json --tokenizers runs/quantisation/tokenizer_agreement.json --out reports/quantisation.md

What exporting to GGUF and quantising costs: pass@1 of each GGUF run (`python -m assistant.grade`) beside the
Hugging Face run it came from, paired document by document (McNemar's exact test on the documents one side
passed and the other failed), with file size, generation tokens/s and peak RSS from `benchmarks/bench_gguf.py`,
and, from `benchmarks/gguf_tokenizer_agreement.py --out`, which prompts a GGUF's tokenizer splits unlike
Transformers: a row of such a GGUF is then also paired on those documents and on the others apart."""
from __future__ import annotations

import argparse
import hashlib
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


def doc_key(task: str, sample: dict) -> tuple[str, str]:
    """The same document: the same prompt and the same tests. lm-eval's doc_hash would also tell apart documents
    that only gained the custom suite's `test_helpers` flag (added after the committed runs)."""
    doc = {k: v for k, v in sample["doc"].items() if k != "test_helpers"}
    return task, hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


def verdicts(run) -> dict[tuple[str, str], tuple[bool, str, str]]:
    """doc_key -> (passed, generation, task id) for every logged sample of the run's Alpaca tasks."""
    out = {}
    for task, samples in run.samples.items():
        parent = parent_task(task)
        if parent is None:
            continue
        for s in samples:
            out[doc_key(parent, s)] = (s.get("pass@1") == 1.0, s["resps"][0][0], str(s["doc"].get("task_id")))
    return out


def paired(hf: dict, gguf: dict, task: str | None = None, where=None) -> dict:
    """The documents both graded (of `task`; for which `where(key, verdict)` holds): discordant counts, McNemar's p."""
    keys = [k for k in hf if k in gguf and (task is None or k[0] == task) and (where is None or where(k, gguf[k]))]
    b = sum(hf[k][0] and not gguf[k][0] for k in keys)
    c = sum(gguf[k][0] and not hf[k][0] for k in keys)
    return {"n": len(keys), "hf_only": b, "gguf_only": c, "p": mcnemar_p(b, c),
            "identical": sum(hf[k][1] == gguf[k][1] for k in keys),
            "hf_pass": sum(hf[k][0] for k in keys), "gguf_pass": sum(gguf[k][0] for k in keys)}


def _pct(passes: int, n: int) -> str:
    return f"{100 * passes / n:.1f} ({passes}/{n})" if n else "–"


def _row_name(run, served: dict | None) -> str:
    if served:
        chat = " via chat" if served.get("endpoint") == "chat/completions" else ""
        meta = served.get("gguf_metadata")
        tokenizer = f", `{meta['tokenizer.ggml.model']}` tokenizer" if meta else ""
        return f"GGUF {Path(served['gguf']).stem.removeprefix('model-')}{chat}{tokenizer}"
    args = run.config.get("model_args") or {}
    return f"HF {args.get('dtype', '?') if isinstance(args, dict) else '?'}" + (" (rerun)" if "rerun" in run.folder else "")


def _model_name(run, served: dict | None) -> str:
    """The model a section is about: the exported GGUF's folder, else the run's training, else its base model."""
    if served:
        return Path(served["gguf"]).parent.name
    base = (run.record.get("base_model") or {}).get("path")
    return run.training or (Path(base).name if base else run.label)


def _command(run, served: dict | None, folder: str) -> str:
    """The command that made the row: assistant.grade's own (with --chat) for a served GGUF."""
    if not served:
        return repo_relative(run.command())
    return repo_relative(f"python -m assistant.grade --gguf {served['gguf']} --output_path {folder}"
                         + (" --chat" if served.get("endpoint") == "chat/completions" else "")
                         + f" --tasks {served['tasks']}" + (f" --limit {served['limit']}" if served.get("limit") else "")
                         + (f" --threads {served['threads']}" if served.get("threads") else "")
                         + (f" -- {' '.join(served['lm_eval_args'])}" if served.get("lm_eval_args") else ""))


def _split_by_prompt(rv: dict, v: dict, differ: set[tuple[str, str]]) -> str:
    """The pairing on the documents whose prompt the row's tokenizer splits as Transformers does and on the others."""
    cells = []
    for what, inside in (("as Transformers does", False), ("otherwise", True)):
        q = paired(rv, v, where=lambda k, x: ((k[0], x[2]) in differ) == inside)
        cells.append(f"on the {q['n']} documents whose prompt it splits {what}, byte-identical generations "
                     f"{q['identical']}/{q['n']}, {q['hf_only']} / {q['gguf_only']} passed only in the reference / only "
                     f"here (p = {q['p']:.2g})")
        if not q["n"]:
            cells[-1] = f"no paired document whose prompt it splits {what}"
    return "; ".join(cells)


def tokenizer_table(agreement: dict) -> list[str]:
    lines = [f"`{agreement['command']}`: of the plugin's Alpaca prompts, how many the GGUF's tokenizer splits into the "
             f"same token ids as the Transformers tokenizer of `{agreement['reference']}`.", "",
             "| GGUF | tokenizer.ggml.model / pre | " + " | ".join(TASKS) + " | most common first difference |",
             "| --- | --- |" + " ---: |" * len(TASKS) + " --- |"]
    for r in agreement["rows"]:
        cells = [f"{r['tasks'][t]['same']}/{r['tasks'][t]['of']}" if t in r["tasks"] else "–" for t in TASKS]
        top = r["first_differences"][0] if r["first_differences"] else None
        first = f"{top[2]} × `{top[0]!r}` as {top[1]}" if top else "–"
        lines.append(f"| `{r['gguf']}` | `{r['tokenizer.ggml.model']}` / `{r['tokenizer.ggml.pre']}` | "
                     + " | ".join(cells) + f" | {first} |")
    return lines + [""]


def build(pairs: list[list[str]], samples: list[str], bench: str | None, out: Path, tokenizers: str | None = None) -> Path:
    """pairs: [reference, other, ...] result folders; their samples beside them or in the `samples` archives (laid
    out like the folders); a folder with a served.json is a GGUF graded by assistant.grade. tokenizers:
    benchmarks/gguf_tokenizer_agreement.py's JSON."""
    served = {d: json.loads((Path(d) / "served.json").read_text()) for p in pairs for d in p
              if (Path(d) / "served.json").exists()}
    dirs = [d for p in pairs for d in p]
    here = [d for d in dirs if any(Path(d).rglob("samples_*.jsonl"))]  # samples beside the results, else archived
    away = [d for d in dirs if d not in here]
    runs = {**dict(zip(away, load_archived_runs([[d] for d in away], samples))),
            **dict(zip(here, load_archived_runs([[d] for d in here])))}
    for d in dirs:
        if not runs[d]:
            raise FileNotFoundError(f"{d}: no results_*.json")
    # a bench row speaks for the file it timed: the same path and size (a re-export at the path is another file)
    speed = {(Path(r["gguf"]).resolve(), r["gguf_bytes"]): r for r in json.loads(Path(bench).read_text())["rows"]} if bench else {}
    agreement = json.loads(Path(tokenizers).read_text()) if tokenizers else None
    # a row of the agreement speaks for the file at its path while that file has the same tokenizer fields
    differ = {(Path(r["gguf"]).resolve(), r["tokenizer.ggml.model"], r["tokenizer.ggml.pre"]):
              {(t, str(i)) for t, c in r["tasks"].items() for i in c["differ"]}
              for r in (agreement or {"rows": []})["rows"]}
    cmd = "python -m reporting.quantisation " + " ".join(f"--pair {' '.join(p)}" for p in pairs) + \
        (f" --samples {' '.join(samples)}" if samples else "") + (f" --bench {bench}" if bench else "") + \
        (f" --tokenizers {tokenizers}" if tokenizers else "") + f" --out {out}"
    lines = ["# What GGUF export and quantisation cost", "", f"Built by `{cmd}`.", "",
             "pass@1 % (passed/graded), greedy, the Alpaca prompt, 512 new tokens at most. The first row of each table "
             "is the committed Transformers run on a GPU (bf16) that the others are paired with; an *HF* row below it "
             "is the same adapter in another precision on the GPU, the floor of what numerics alone move. *GGUF* rows "
             "were exported by `assistant.export`, served by llama.cpp (`llama-cpp-python` 0.3.36, CPU build with "
             "AVX2) and graded through lm-eval's `local-completions` model (`assistant.grade`); a row *via chat* through its "
             "`local-chat-completions` model (`assistant.grade --chat`): the instruction alone as the user message, "
             "rendered into the Alpaca prompt by the GGUF's chat template. *paired*: on the "
             "documents both graded, how many passed only in the reference / only in this row, McNemar's exact p, "
             "and how many generations are byte-identical. Speed and memory: `benchmarks/bench_gguf.py` on this "
             "machine's 2 cores, nothing else running (command under the last table); a file it did not time (a "
             "later export at the same path is another file) shows –.", ""]
    verdict_lines, split_lines = [], []
    for pair in pairs:
        ref = runs[pair[0]][0]
        rv = verdicts(ref)
        ref_name = _row_name(ref, served.get(pair[0]))
        label = _model_name(ref, served.get(pair[0]))
        lines += [f"## {label}, against {ref_name}", "", "| weights | " + " | ".join(TASKS) + f" | all | paired with {ref_name}: "
                  "reference only / this only, p | identical generations | file MiB | gen tokens/s | peak RSS MiB | "
                  "command |", "| --- |" + " ---: |" * (len(TASKS) + 6) + " --- |"]
        for d in pair:
            run, sv = runs[d][0], served.get(d)
            v = verdicts(run)
            cells = [_pct(sum(x[0] for key, x in v.items() if key[0] == t), sum(key[0] == t for key in v)) for t in TASKS]
            cells.append(_pct(sum(x[0] for x in v.values()), len(v)))
            if d == pair[0]:
                lines.append(f"| {ref_name} | " + " | ".join(cells) + f" | – | – | – | – | – | `{_command(run, sv, d)}` |")
                continue
            pr = paired(rv, v)
            s = speed.get((Path(sv["gguf"]).resolve(), sv["gguf_bytes"]), {}) if sv else {}
            tps = f"{s['generation_tokens_per_s']:.1f}" if s.get("generation_tokens_per_s") else "–"
            rss = f"{s['peak_rss_bytes'] / 2**20:.0f}" if s.get("peak_rss_bytes") else "–"
            size = f"{sv['gguf_bytes'] / 2**20:.0f}" if sv else "–"
            name = _row_name(run, sv)
            lines.append(f"| {name} | " + " | ".join(cells) + f" | {pr['hf_only']} / {pr['gguf_only']}, "
                         f"p = {pr['p']:.2g} | {pr['identical']}/{pr['n']} | {size} | {tps} | {rss} | "
                         f"`{_command(run, sv, d)}` |")
            beyond = [f"{t} ({q['hf_only']} vs {q['gguf_only']}, p = {q['p']:.2g})"
                      for t in TASKS for q in [paired(rv, v, t)] if q["p"] < 0.05]
            overall = (f"all tasks together {pr['hf_only']} documents passed only in the reference, {pr['gguf_only']} "
                       f"only here, p = {pr['p']:.2g}" + (" — beyond noise" if pr["p"] < 0.05 else " — within noise"))
            meta = (sv or {}).get("gguf_metadata") or {}
            split = differ.get((Path(sv["gguf"]).resolve(), meta.get("tokenizer.ggml.model"),
                                meta.get("tokenizer.ggml.pre"))) if sv else None
            if split:
                split_lines.append(f"- {name} against {ref_name}: " + _split_by_prompt(rv, v, split) + ".")
            verdict_lines.append(f"- {label}, {name} vs {ref_name}: " + (
                f"beyond noise (p < 0.05) on {', '.join(beyond)}" if beyond else "no single task beyond noise")
                + f"; {overall}.")
        lines.append("")
    lines += ["## What each GGUF row served", "",
              "The tokenizer a GGUF carries decides how llama.cpp splits the prompt. For Gemma there are two: the base "
              "model's own GGUF tokenizer (`llama` / `default`; `assistant.export`'s default) and llama.cpp's "
              "converter's reading of the merged folder's `tokenizer.json` (`gpt2` / `granite-embed-multi-311m`; "
              "`assistant.export --tokenizer-gguf none`). The export keeps the base GGUF's as its default: it is what "
              "the base model's own GGUF carries, so any llama.cpp build that runs that file reads it, while the "
              "converter's names its pre-tokenizer after the model its hash matched (an IBM Granite embedding model), "
              "and llama.cpp refuses a file whose pre-tokenizer name it does not know; what the other split of the "
              "prompt costs is measured below, on the documents it touches."
              + (" The committed rows that do not record it below were exported on 2026-12-02, before the export wrote "
                 "the base GGUF's tokenizer (and before assistant.grade recorded it), so they carry the converter's."
                 if any(not sv.get("gguf_metadata") for sv in served.values()) else ""), ""]
    for d, sv in served.items():
        meta = sv.get("gguf_metadata")
        what = (f"`{meta['tokenizer.ggml.model']}` / `{meta['tokenizer.ggml.pre']}`, "
                f"{'a' if meta['chat_template'] else 'no'} chat template, name \"{meta['general.name']}\""
                if meta else "not recorded (graded before assistant.grade recorded it)")
        lines.append(f"- `{repo_relative(d)}` ({sv.get('endpoint', 'completions')}): {what}")
    lines.append("")
    if agreement:
        lines += tokenizer_table(agreement)
    if split_lines:
        lines += ["A row whose tokenizer splits some prompts unlike Transformers, paired apart on those documents and "
                  "on the others, whose token ids are the same either way (what differs there is not the tokenizer's "
                  "doing):", "", *split_lines, ""]
    lines += ["## Beyond noise?", "", *verdict_lines, "",
              "Documents are paired when their prompt and tests are the same; a custom-suite task replaced or "
              "re-tested since the reference run has no pair and is left out of *paired* (the other cells count every "
              "graded document). p < 0.05 is uncorrected for the number of comparisons.", ""]
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
    p.add_argument("--tokenizers", help="benchmarks/gguf_tokenizer_agreement.py's JSON (--out)")
    p.add_argument("--out", type=Path, default=Path("reports/quantisation.md"))
    a = p.parse_args(argv)
    bad = [x for x in a.pair if len(x) < 2]
    if bad:
        p.error(f"--pair {bad[0][0]}: name at least one GGUF run after the HF results folder")
    print(build(a.pair, a.samples, a.bench, a.out, a.tokenizers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
