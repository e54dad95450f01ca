"""Time the full CodeAlpaca preparation (20,022 rows, token statistics included) and print the figures.

python benchmarks/bench_prep.py [--input PATH] [--repeat N] [--no-test-decontamination]

Most of the time goes to the decontamination check that runs rows' code against benchmark tests in the sandbox;
`--no-test-decontamination` times the rest alone.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from codealpaca_prep.pipeline import DEFAULT_SOURCE, Config, run


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--input", default=DEFAULT_SOURCE)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--no-test-decontamination", action="store_true")
    a = p.parse_args()
    times = []
    for _ in range(a.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            m = run(Config(source=a.input, out_dir=Path(tmp) / "out", report_dir=Path(tmp) / "rep", progress=False,
                           test_decontamination=not a.no_test_decontamination))
            times.append(time.perf_counter() - start)
    print(f"rows in: {m['input']['rows']}, kept: {m['kept']}, cores: {os.cpu_count()}")
    what = "without" if a.no_test_decontamination else "with"
    print(f"full run incl. token statistics and report, {what} the benchmark-test check, {a.repeat} runs: best {min(times):.2f} s, "
          f"median {sorted(times)[len(times) // 2]:.2f} s ({m['input']['rows'] / min(times):,.0f} rows/s)")


if __name__ == "__main__":
    main()
