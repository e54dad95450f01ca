"""Where one evaluation's wall time goes, and whether a faster setting still generates exactly the same text.

    python benchmarks/bench_eval.py --model models/gemma-3-270m --adapter runs/gemma_grid/adapters/gemma3-270m-code-r8 \
        --tasks codeeval_alpaca --device cuda --dtype bfloat16 --batch 256 --model-args attn_implementation=eager \
        --case batch-256 --case batch-512:batch=512 \
        --committed runs/gemma_grid_3/samples.tar.xz:gemma3-270m-code-r8 --out runs/perf/eval_speed_h200.json

Each case is one fresh `lm_eval run --model hf …` process (the README's command; `--log_samples`), run through lm-eval's
own CLI entry with timers around the model's construction (`HFLM.__init__`: weights and adapter), its generation
(`HFLM.generate_until`; per batch its decoding steps, and lm-eval's stop-string checks inside it) and the plugin's
grading (`evaluation.grading.grade`, and the reference runs inside it).
What is left is start-up (Python and imports), building tasks and prompts, and writing results. A case is
`LABEL[:KEY=VALUE,...]`: upper-case keys are environment variables of that process, `batch=N` changes the batch
size, `timeout=S` stops the case after S seconds, `gen.KEY=VALUE` is lm-eval's `--gen_kwargs KEY=VALUE`
(`gen.cache_implementation=static`: a static KV cache, which Transformers compiles the decoding step for). A case
that fails or times out is recorded with its log's tail and the next one runs.

Every case's samples are compared document by document with the first case's, and with a committed run's
(`--committed DIR` or `ARCHIVE.tar.xz:MEMBER`) where the prompt is the same: generations and verdicts that differ.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: the project's packages
from evaluation.lm_eval_command import lm_eval_command  # noqa: E402

PHASES = ("start-up", "model load", "tasks and prompts", "generation", "grading", "other")


def child(timings: Path, lm_args: list[str]) -> int:
    """Run lm-eval's CLI in this process with timers around its phases; write them to `timings`."""
    marks = {"start": time.time()}
    from lm_eval.__main__ import cli_evaluate
    from lm_eval.models.huggingface import HFLM
    from lm_eval.models.utils_hf import MultiTokenEOSCriteria

    import evaluation.grading as grading

    marks["imports"] = time.time()
    spans: dict[str, list[tuple[float, float]]] = {"load": [], "generate": [], "grade": [], "references": []}

    def timed(kind, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            began = time.time()
            try:
                return fn(*args, **kwargs)
            finally:
                spans[kind].append((began, time.time()))
        return wrapper

    decode: list[tuple[float, int, int]] = []  # per model.generate call: seconds, rows, tokens generated per row
    model_generate = HFLM._model_generate

    def counted(self, context, *args, **kwargs):
        began = time.time()
        out = model_generate(self, context, *args, **kwargs)
        decode.append((time.time() - began, context.shape[0], out.shape[1] - context.shape[1]))
        return out

    stops = {"calls": 0, "s": 0.0}  # lm-eval's stop-string check, run once per stop string and decoding step
    stop_check = MultiTokenEOSCriteria.__call__

    def checked(self, *args, **kwargs):
        began = time.perf_counter()
        try:
            return stop_check(self, *args, **kwargs)
        finally:
            stops["calls"] += 1
            stops["s"] += time.perf_counter() - began

    HFLM.__init__ = timed("load", HFLM.__init__)
    HFLM.generate_until = timed("generate", HFLM.generate_until)
    HFLM._model_generate = counted
    MultiTokenEOSCriteria.__call__ = checked
    grading.grade = timed("grade", grading.grade)  # grade_filter looks both up at call time
    grading.references = timed("references", grading.references)
    sys.argv = ["lm_eval", *lm_args]
    rc = 1
    try:
        rc = cli_evaluate() or 0
    finally:
        marks["end"] = time.time()
        timings.write_text(json.dumps({"marks": marks, "spans": spans, "rc": rc, "decode": decode, "stops": stops}))
    return rc


def split(wall: float, t: dict) -> dict:
    """Seconds per phase from one case's marks and spans (`wall` from the parent: process start to exit)."""
    m, s = t["marks"], t["spans"]
    total = lambda kind: sum(b - a for a, b in s[kind])  # noqa: E731
    load_end = max((b for _, b in s["load"]), default=m["imports"])
    gen_start = min((a for a, _ in s["generate"]), default=load_end)
    out = {"start-up": wall - (m["end"] - m["imports"]), "model load": total("load"),
           "tasks and prompts": max(0.0, gen_start - load_end), "generation": total("generate"),
           "grading": total("grade"), "of which references": total("references")}
    out["other"] = wall - sum(out[p] for p in PHASES[:-1])
    out["of which stop checks"] = t["stops"]["s"]
    return {k: round(v, 2) for k, v in out.items()}


def decoding(t: dict) -> dict:
    """Decoding steps (each call runs until its last row stops) and the seconds per step: whether a slower
    generation took more steps or slower ones."""
    seconds, steps = sum(d[0] for d in t["decode"]), sum(d[2] for d in t["decode"])
    return {"calls": len(t["decode"]), "rows": sum(d[1] for d in t["decode"]), "steps": steps,
            "ms_per_step": round(1000 * seconds / steps, 2) if steps else None, "stop_checks": t["stops"]["calls"]}


def samples(folder: Path) -> dict[tuple[str, int], dict]:
    """(task, doc_id) -> {"prompt", "generation", "passed"} from lm-eval sample files under `folder`."""
    out = {}
    for path in folder.rglob("samples_*.jsonl"):
        task = path.stem[len("samples_"):].rsplit("_", 1)[0]
        for line in path.open():
            s = json.loads(line)
            out[task, s["doc_id"]] = {"prompt": s["arguments"]["gen_args_0"]["arg_0"], "generation": s["resps"],
                                      "passed": s.get("pass@1")}
    return out


def committed(spec: str, scratch: Path) -> Path:
    """A committed run's folder: DIR, or ARCHIVE.tar.xz:MEMBER unpacked into `scratch`."""
    if ":" not in spec:
        return Path(spec)
    archive, member = spec.split(":", 1)
    with tarfile.open(archive) as tar:
        names = [m for m in tar.getmembers() if m.name.lstrip("./").startswith(member.rstrip("/") + "/")]
        if not names:
            raise SystemExit(f"--committed: no {member}/ in {archive}")
        tar.extractall(scratch, members=names, filter="data")
    return scratch / member


def compare(a: dict, b: dict) -> dict:
    """Documents in both with the same prompt: generations and verdicts that differ; prompts that changed."""
    both = a.keys() & b.keys()
    same = [k for k in both if a[k]["prompt"] == b[k]["prompt"]]
    differ = sorted(k for k in same if a[k]["generation"] != b[k]["generation"])
    return {"documents": len(same), "different_generation": len(differ),
            "different_verdict": sum(a[k]["passed"] != b[k]["passed"] for k in same),
            "prompt_changed": len(both) - len(same), "only_in_one": len(a.keys() ^ b.keys()),
            "first_differing": [f"{task}/{doc}" for task, doc in differ[:20]]}


def parse_case(spec: str) -> tuple[str, dict, dict]:
    label, _, rest = spec.partition(":")
    env, opts = {}, {}
    for kv in filter(None, rest.split(",")):
        key, sep, value = kv.partition("=")
        if not sep:
            raise SystemExit(f"--case {spec!r}: {kv!r} is not KEY=VALUE")
        if key.isupper():
            env[key] = value
        elif key in ("batch", "timeout"):
            opts[key] = value
        elif key.startswith("gen.") and key[4:]:
            opts.setdefault("gen_kwargs", []).append(f"{key[4:]}={value}")
        else:
            raise SystemExit(f"--case {spec!r}: unknown option {key!r} (upper-case environment variables, batch=N, "
                             "timeout=SECONDS or gen.KEY=VALUE)")
    return label, env, opts


def case_command(a: argparse.Namespace, model_args: str, opts: dict, out: Path) -> list[str]:
    """One case's lm-eval arguments (after `lm_eval`): the project's one command builder, lm-eval's seeds."""
    return lm_eval_command(model_args, a.tasks, out, launcher=[], include_path=ROOT / "lm_eval_tasks",
                           device=a.device, batch_size=opts.get("batch", a.batch), limit=a.limit,
                           gen_kwargs=opts.get("gen_kwargs"), seed="0,1234,1234,1234")


def host() -> dict:
    """The CPU cores and model and the GPUs: two machines with the same GPU have generated at different speeds."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), None) if Path("/proc/cpuinfo").exists() else None
    try:
        gpus = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,clocks.max.sm", "--format=csv,noheader"],
                              capture_output=True, text=True, timeout=30).stdout.strip().splitlines()
    except (OSError, subprocess.SubprocessError):
        gpus = []
    return {"cpus": os.cpu_count(), "cpu_model": cpu, "gpus": gpus}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return child(Path(argv[1]), argv[2:])
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="base model folder or hub id")
    p.add_argument("--adapter", help="a PEFT adapter folder")
    p.add_argument("--tasks", default="codeeval_alpaca")
    p.add_argument("--device", default="cuda")
    p.add_argument("--dtype", default="bfloat16")
    p.add_argument("--batch", default="256")
    p.add_argument("--model-args", default="", help="more lm-eval --model_args, e.g. attn_implementation=eager")
    p.add_argument("--limit", type=int, help="documents per task (default: all)")
    p.add_argument("--case", action="append", dest="cases", metavar="LABEL[:KEY=VALUE,...]",
                   help="one evaluation (repeatable; default: one case, `run`)")
    p.add_argument("--committed", help="a committed run of the same model and adapter to compare generations with")
    p.add_argument("--out", help="JSON file for the figures")
    a = p.parse_args(argv)
    cases = [parse_case(c) for c in a.cases or ["run"]]
    work = Path(tempfile.mkdtemp(prefix="bench-eval-"))
    ref = samples(committed(a.committed, work / "committed")) if a.committed else None
    model_args = f"pretrained={a.model},dtype={a.dtype}" + (f",peft={a.adapter}" if a.adapter else "") + \
        (f",{a.model_args}" if a.model_args else "")
    figures = {"model": a.model, "adapter": a.adapter, "tasks": a.tasks, "device": a.device, "dtype": a.dtype,
               "model_args": model_args, "committed": a.committed, **host(), "cases": []}
    first, failed = None, False
    for label, env, opts in cases:
        out = work / label
        lm_args = case_command(a, model_args, opts, out)
        print(f"[{time.strftime('%H:%M:%S')}] {label}: lm_eval {' '.join(lm_args)}", file=sys.stderr, flush=True)
        started = time.perf_counter()
        path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
        with open(work / f"{label}.log", "w") as log:
            try:
                rc = subprocess.run([sys.executable, __file__, "--child", str(work / f"{label}.json"), *lm_args],
                                    cwd=ROOT, env={**os.environ, "PYTHONPATH": path, **env}, stdout=log,
                                    stderr=subprocess.STDOUT, timeout=float(opts.get("timeout", 0)) or None).returncode
            except subprocess.TimeoutExpired:
                rc = None
        wall = time.perf_counter() - started
        row = {"case": label, "env": env, "batch": opts.get("batch", a.batch), "gen_kwargs": opts.get("gen_kwargs", []),
               "wall_s": round(wall, 1)}
        figures["cases"].append(row)
        if rc != 0:  # recorded, and the next case runs
            tail = (work / f"{label}.log").read_text(errors="replace").splitlines()[-20:]
            error = f"timeout after {opts['timeout']} s" if rc is None else f"exit {rc}"
            print(f"{label}: failed ({error}) after {wall:.1f} s:\n" + "\n".join(tail[-5:]), flush=True)
            row.update(error=error, log_tail=tail)
            failed = True
            save(figures, a.out)
            continue
        timings = json.loads((work / f"{label}.json").read_text())
        row["phases_s"], row["decoding"] = split(wall, timings), decoding(timings)
        row["calls"] = {kind: len(spans) for kind, spans in timings["spans"].items()}  # a phase too short to show
        got = samples(out)
        first = first or got
        row["vs_first_case"] = compare(first, got)
        if ref is not None:
            row["vs_committed"] = compare(ref, got)
        save(figures, a.out)
        ph = row["phases_s"]
        print(f"{label}: {wall:.1f} s = " + ", ".join(f"{k} {ph[k]}" for k in PHASES) +
              f" (references {ph['of which references']} s of the grading)", flush=True)
        dec = row["decoding"]
        print(f"  decoding: {dec['calls']} batches, {dec['steps']} steps, {dec['ms_per_step']} ms per step; lm-eval's "
              f"stop-string checks {ph['of which stop checks']} s of the generation", flush=True)
        for what in ("vs_first_case", "vs_committed"):
            if what in row:
                c = row[what]
                print(f"  {what.replace('_', ' ')}: {c['different_generation']} of {c['documents']} generations differ, "
                      f"{c['different_verdict']} verdicts; {c['prompt_changed']} prompts changed, "
                      f"{c['only_in_one']} documents in one only", flush=True)
    return 1 if failed else 0


def save(figures: dict, out: str | None) -> None:
    """After every case: a run cut short keeps what it measured."""
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    sys.exit(main())
