"""python -m assistant.grade --gguf FILE --output_path DIR [--tasks codeeval_alpaca] [--limit N] [--chat] [-- lm_eval args]

Grade what is served: start llama.cpp's server on a GGUF (assistant.serve), run lm-eval's own CLI on the
plugin's tasks through its `local-completions` model pointed at that server, stop the server. --chat grades the
chat endpoint instead, as an OpenAI chat client uses it: lm-eval's `local-chat-completions` with
--apply_chat_template on the `*_alpaca_chat` tasks (default mbpp_custom_alpaca_chat,humaneval_custom_alpaca_chat),
whose user message is the instruction alone; the GGUF's chat template makes the Alpaca prompt of it. DIR gets
lm-eval's results and samples, and `served.json`: the file's size and sha256, the server's peak RSS, and the
tokens and seconds llama.cpp reported (generation tokens/s). To grade a server you started yourself, run the
lm_eval command this prints (or see `python -m assistant.serve --help`)."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from common.hashing import sha256_file
from common.quiet import quiet_libraries

from .gguf_metadata import Gguf
from .serve import Server, ServerError, timings


def gguf_identity(gguf: Path) -> dict:
    """What the graded file says it is: its name, its tokenizer and whether it carries a chat template."""
    meta = Gguf(gguf)
    return {k: meta.value(k) for k in ("general.name", "general.base_model.0.name", "tokenizer.ggml.model",
                                       "tokenizer.ggml.pre")} | {"chat_template": "tokenizer.chat_template" in meta.fields}


CHAT_TASKS = "mbpp_custom_alpaca_chat,humaneval_custom_alpaca_chat"


def lm_eval_command(base_url: str, model: str, tasks: str, output_path: str | Path, limit: int | None = None,
                    extra: list[str] = (), chat: bool = False) -> list[str]:
    import lm_eval_tasks

    from evaluation.lm_eval_command import lm_eval_command as build

    endpoint, kind = ("chat/completions", "local-chat-completions") if chat else ("completions", "local-completions")
    args = (f"base_url={base_url}/{endpoint},model={model},tokenized_requests=False,tokenizer_backend=None,"
            "num_concurrent=1,max_retries=3,timeout=600")
    return build(args, tasks, output_path, model=kind, launcher="python", limit=limit, seed="0",
                 include_path=Path(lm_eval_tasks.__file__).parent,
                 extra=(["--apply_chat_template"] if chat else []) + list(extra))


def grade(gguf: str | Path, output_path: str | Path, tasks: str | None = None, limit: int | None = None,
          threads: int | None = None, extra: list[str] = (), chat: bool = False) -> dict:
    gguf, out = Path(gguf), Path(output_path)
    tasks = tasks or (CHAT_TASKS if chat else "codeeval_alpaca")
    if not gguf.is_file():
        raise FileNotFoundError(f"--gguf {gguf}: no such file")
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    with Server(gguf, threads=threads, log=out / "server.log") as server:
        up = time.time() - started
        cmd = lm_eval_command(server.base_url, server.model, tasks, out, limit, extra, chat)
        print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
        asked = time.time()
        done = subprocess.run(cmd)
        lm_eval_seconds = time.time() - asked
        rss = server.peak_rss_bytes()
    if done.returncode:
        raise RuntimeError(f"lm_eval exited with code {done.returncode} grading {gguf}")
    served = {"gguf": str(gguf), "gguf_sha256": sha256_file(gguf), "gguf_bytes": gguf.stat().st_size,
              "threads": threads or os.cpu_count(), "cpu_count": os.cpu_count(), "peak_rss_bytes": rss,
              "wall_seconds": round(time.time() - started, 1), "server_start_seconds": round(up, 1),
              "lm_eval_seconds": round(lm_eval_seconds, 1), "tasks": tasks, "limit": limit,
              "endpoint": "chat/completions" if chat else "completions",
              "lm_eval_args": list(extra), "gguf_metadata": gguf_identity(gguf),
              **timings(out / "server.log")}
    (out / "served.json").write_text(json.dumps(served, indent=2) + "\n")
    return served


FIRST = ("pass@1", "pass@1_base", "syntax_valid", "runs_clean")


def summary(results: dict) -> str:
    """The plugin's metrics per task, pass@1 first, leaving out metrics with no value in this run (lm-eval's own
    table sorts metrics by name and prints those as `NaN ± N/A`)."""
    lines, empty = [], set()
    for task, metrics in sorted(results["results"].items()):
        values = {k.split(",")[0]: v for k, v in metrics.items() if "," in k and "_stderr" not in k}
        if "pass@1" not in values:
            continue
        n = results.get("n-samples", {}).get(task, {}).get("effective")
        shown = [m for m in FIRST if m in values] + sorted(m for m in values if m not in FIRST)
        cells = []
        for m in shown:
            v = values[m]
            if isinstance(v, float) and v != v:
                empty.add(m)
            elif isinstance(v, (int, float)):
                cells.append(f"{m} {v:.3f}")
        lines.append(f"{task} ({n} documents): " + ", ".join(cells))
    if empty:
        lines.append(f"no value in this run (no sample defines them): {', '.join(sorted(empty))}")
    return "\n".join(lines)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    p = argparse.ArgumentParser(prog="python -m assistant.grade", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--gguf", required=True, help="the GGUF file to serve and grade")
    p.add_argument("--output_path", required=True, help="folder for lm-eval's results, samples and served.json")
    p.add_argument("--tasks", help=f"plugin tasks or groups (default codeeval_alpaca; with --chat {CHAT_TASKS})")
    p.add_argument("--chat", action="store_true", help="grade /v1/chat/completions (lm-eval's local-chat-completions)")
    p.add_argument("--limit", type=int, help="the first N documents of each task")
    p.add_argument("--threads", type=int, help="the server's CPU threads (default: all cores)")
    a = p.parse_args(argv)
    quiet_libraries()
    try:
        served = grade(a.gguf, a.output_path, a.tasks, a.limit, a.threads, extra, a.chat)
    except (FileNotFoundError, ServerError, RuntimeError) as e:
        print(f"assistant.grade: {e}", file=sys.stderr)
        return 2
    results = sorted(Path(a.output_path).rglob("results_*.json"))
    if results:
        print(summary(json.loads(results[-1].read_text())), file=sys.stderr)
    print(json.dumps(served, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
