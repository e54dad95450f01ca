"""Speed and memory of GGUF files under llama.cpp's server on this machine, and print the figures.

python benchmarks/bench_gguf.py GGUF [GGUF ...] [--prompts 20] [--max-tokens 128] [--threads N] [--out FILE.json]

Each file is served alone (assistant.serve) and asked the first N MBPP tasks with the Alpaca prompt, greedy, with
the tasks' stop strings; tokens and seconds are the ones llama.cpp reports per request, peak RSS is the server's
VmHWM. Run it with nothing else on the CPU.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
import tempfile
from pathlib import Path

from assistant.export import STOPS
from assistant.serve import Server, timings
from evaluation.documents import mbpp_docs, prompt_alpaca


def cpu_name() -> str:
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        model = platform.processor() or "unknown CPU"
    return f"{os.cpu_count()} × {model}"


def bench(gguf: Path, prompts: list[str], max_tokens: int, threads: int | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "server.log"
        with Server(gguf, threads=threads, log=log) as s:
            for p in prompts:
                s.complete(p, max_tokens=max_tokens, stop=STOPS)
            rss = s.peak_rss_bytes()
        return {"gguf": str(gguf), "gguf_bytes": gguf.stat().st_size, "peak_rss_bytes": rss, **timings(log)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("gguf", nargs="+", type=Path)
    p.add_argument("--prompts", type=int, default=20)
    p.add_argument("--max-tokens", type=int, default=128)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--out", type=Path)
    a = p.parse_args()
    prompts = [prompt_alpaca(d) for d in mbpp_docs()[:a.prompts]]
    rows = []
    for g in a.gguf:
        r = bench(g, prompts, a.max_tokens, a.threads)
        rows.append(r)
        print(f"{g}: {r['gguf_bytes'] / 2**20:.0f} MiB, prompt {r['prompt_tokens_per_s']:.0f} tokens/s, generation "
              f"{r['generation_tokens_per_s']:.1f} tokens/s ({r['generated_tokens']} tokens), peak RSS "
              f"{r['peak_rss_bytes'] / 2**20:.0f} MiB", flush=True)
    if a.out:
        cmd = "python benchmarks/bench_gguf.py " + " ".join(shlex.quote(x) for x in sys.argv[1:])
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps({"command": cmd, "prompts": a.prompts, "max_tokens": a.max_tokens,
                                     "threads": a.threads, "cpu": cpu_name(), "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
