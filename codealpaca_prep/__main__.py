"""python -m codealpaca_prep — see --help."""
from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

from sandbox import IsolationError

from .load import HUB_ID, InputError
from .pipeline import DEFAULT_SOURCE, MAX_MALFORMED, Config, run


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m codealpaca_prep",
        description="Turn CodeAlpaca-20k into Python-only instruction data in Axolotl's alpaca format: schema "
                    "normalisation, Python-only filtering, 4-space code, deduplication, decontamination against "
                    "MBPP and HumanEval, hash splits 80/10/10, two variants (code, code_explained) and token "
                    "statistics with the Mistral-7B tokenizer. Writes OUT/<variant>/<split>.jsonl, "
                    "OUT/manifest.json, OUT/rejected.jsonl and REPORT_DIR/data.md. Nothing is lost on bad input: "
                    "everything is written into a temporary folder beside OUT that replaces OUT only once complete; "
                    "an empty input, one with more than --max-malformed of its rows malformed, or one of which no "
                    "row survives is refused (exit 2, naming the count and the first bad rows) and OUT is left "
                    "as it was.")
    p.add_argument("--input", default=DEFAULT_SOURCE,
                   help=f"local .json/.jsonl file, or a hub dataset id such as {HUB_ID} (default: %(default)s)")
    p.add_argument("--out", default="data/prepared", type=Path, help="output folder (default: %(default)s)")
    p.add_argument("--report-dir", default=None,
                   help="where data.md and the histogram go (default: the --out folder; `reports` rewrites the "
                        "committed report; '' skips it)")
    p.add_argument("--explainer", default="ast",
                   help="'ast' (offline, deterministic, derived from the code) or 'hf:PATH' (a local causal LM) (default: %(default)s)")
    p.add_argument("--sequence-len", type=int, default=None, help="count rows longer than this (default: the recommended value)")
    p.add_argument("--seed", type=int, default=0, help="salt of the hash split (default: %(default)s)")
    p.add_argument("--mbpp", default=None, help="MBPP jsonl for decontamination (default: the vendored copy)")
    p.add_argument("--humaneval", default=None, help="HumanEval jsonl(.gz) (default: the vendored copy)")
    p.add_argument("--no-test-decontamination", action="store_true",
                   help="skip running rows' code against the benchmarks' tests (that check needs the sandbox: "
                        "bubblewrap or root); the text, code and paraphrase checks still run")
    p.add_argument("--max-malformed", type=float, default=MAX_MALFORMED, metavar="SHARE",
                   help="refuse the input when more than this share of its rows are malformed (not JSON, not an "
                        "object, a missing or non-string field, an empty instruction) (default: %(default)s, i.e. "
                        + f"{MAX_MALFORMED:.0%}".replace("%", "%%") + ")")
    p.add_argument("--compare", type=Path, default=None,
                   help="an earlier manifest.json whose counts data.md shows beside the new ones")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    a = p.parse_args(argv)
    report_dir = a.out if a.report_dir is None else (Path(a.report_dir) if a.report_dir else None)
    cfg = Config(source=a.input, out_dir=a.out, report_dir=report_dir,
                 explainer=a.explainer, sequence_len=a.sequence_len, seed=a.seed, progress=not a.no_progress,
                 mbpp_path=a.mbpp, humaneval_path=a.humaneval, test_decontamination=not a.no_test_decontamination,
                 compare=a.compare, max_malformed=a.max_malformed,
                 command="python -m codealpaca_prep " + shlex.join(argv if argv is not None else sys.argv[1:]))
    start = time.perf_counter()
    try:
        m = run(cfg)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except IsolationError as exc:
        print(f"error: decontamination runs rows' code against benchmark tests in the sandbox, which cannot start "
              f"here ({exc}); install bubblewrap or pass --no-test-decontamination", file=sys.stderr)
        return 2
    for s in m["stages"]:
        print(f"{s['stage']:<45} {s['in']:>6} -> {s['out']:>6}  (-{s['removed']})")
    print(f"kept {m['kept']} rows; splits {m['splits']}; recommended sequence_len {m['tokens']['recommended_sequence_len']}")
    print(f"wrote {a.out}/{{code,code_explained}}/{{train,validation,test}}.jsonl, manifest.json, rejected.jsonl"
          + (f"; {report_dir}/data.md" if report_dir else "") + f" in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
