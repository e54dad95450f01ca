"""python -m assistant.grade --gguf FILE --output_path DIR [--tasks codeeval_alpaca] [--limit N] [-- lm_eval args]

Grade what is served: start llama.cpp's server on a GGUF (assistant.serve), run lm-eval's own CLI on the
plugin's tasks through its `local-completions` model pointed at that server, stop the server. DIR gets
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

from .serve import Server, ServerError, timings


def lm_eval_command(base_url: str, model: str, tasks: str, output_path: str | Path, limit: int | None = None,
                    extra: list[str] = ()) -> list[str]:
    import lm_eval_tasks

    from evaluation.lm_eval_command import lm_eval_command as build

    args = (f"base_url={base_url}/completions,model={model},tokenized_requests=False,tokenizer_backend=None,"
            "num_concurrent=1,max_retries=3,timeout=600")
    return build(args, tasks, output_path, model="local-completions", launcher="python", limit=limit, seed="0",
                 include_path=Path(lm_eval_tasks.__file__).parent, extra=list(extra))


def grade(gguf: str | Path, output_path: str | Path, tasks: str = "codeeval_alpaca", limit: int | None = None,
          threads: int | None = None, extra: list[str] = ()) -> dict:
    gguf, out = Path(gguf), Path(output_path)
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    with Server(gguf, threads=threads, log=out / "server.log") as server:
        cmd = lm_eval_command(server.base_url, server.model, tasks, out, limit, extra)
        print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
        done = subprocess.run(cmd)
        rss = server.peak_rss_bytes()
    if done.returncode:
        raise RuntimeError(f"lm_eval exited with code {done.returncode} grading {gguf}")
    served = {"gguf": str(gguf), "gguf_sha256": sha256_file(gguf), "gguf_bytes": gguf.stat().st_size,
              "threads": threads or os.cpu_count(), "cpu_count": os.cpu_count(), "peak_rss_bytes": rss,
              "wall_seconds": round(time.time() - started, 1), "tasks": tasks, "limit": limit,
              "lm_eval_args": list(extra),
              **timings(out / "server.log")}
    (out / "served.json").write_text(json.dumps(served, indent=2) + "\n")
    return served


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    p = argparse.ArgumentParser(prog="python -m assistant.grade", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--gguf", required=True, help="the GGUF file to serve and grade")
    p.add_argument("--output_path", required=True, help="folder for lm-eval's results, samples and served.json")
    p.add_argument("--tasks", default="codeeval_alpaca", help="plugin tasks or groups (default codeeval_alpaca)")
    p.add_argument("--limit", type=int, help="the first N documents of each task")
    p.add_argument("--threads", type=int, help="the server's CPU threads (default: all cores)")
    a = p.parse_args(argv)
    try:
        served = grade(a.gguf, a.output_path, a.tasks, a.limit, a.threads, extra)
    except (FileNotFoundError, ServerError, RuntimeError) as e:
        print(f"assistant.grade: {e}", file=sys.stderr)
        return 2
    print(json.dumps(served, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
