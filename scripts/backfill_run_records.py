"""Write run.json (evaluation.run_record) once for the runs committed before runs recorded what they are.

    python scripts/backfill_run_records.py [runs]      # writes RUN_DIR/run.json for every committed run without one

What each run was is taken from its results file (model arguments, tasks, batch, device, seeds), the grid's log of
the run (its first line is the exact command; logs.tar.xz, the session at or before the results' time), the
grid's adapters.sha256, its data manifest, the training's trainer_state.json (the last step), served.json (llama.cpp
runs) and, for the recipe and training, the run folder's name as the grid named it (NAME[-dropout0][-seedN]
[-retrainN][-checkpoint-STEP]; the recipe's YAML gives the rest). New runs write run.json when they are made.
"""
from __future__ import annotations

import json
import re
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evaluation.run_record import RECORD, SCHEMA, sha256_of, write  # noqa: E402

NAME = re.compile(r"^(?P<recipe>.+?-(?:code_explained|code)-r\d+)(?P<dropout0>-dropout0)?(?:-seed(?P<seed>\d+))?"
                  r"(?P<retrain>-retrain\d*)?(?:-checkpoint-(?P<step>\d+))?(?P<rest>-.+)?$")


def logs(grid: Path) -> list[tuple[str, str, str]]:
    """(session, log name, first line) of every run log in GRID/logs.tar.xz."""
    archive = grid / "logs.tar.xz"
    out = []
    if archive.exists():
        with tarfile.open(archive) as tar:
            for m in tar.getmembers():
                if m.isfile() and m.name.endswith(".log"):
                    parts = Path(m.name).parts
                    session = parts[-2] if len(parts) > 2 or (len(parts) == 2 and parts[0] != ".") else ""
                    out.append((session, Path(m.name).stem, tar.extractfile(m).readline().decode().strip()))
    return out


def command_from_logs(grid_logs: list, out_label: str, stamp: str) -> str | None:
    """The first line of the grid's log of the run that wrote outputs/eval/OUT_LABEL, from the last session that
    started at or before the results' timestamp (YYYY-MM-DD[-HHMM] against YYYY-MM-DDTHH-MM)."""
    when = stamp[:10] + "-" + stamp[11:13] + stamp[14:16]
    found = [(s, line) for s, name, line in grid_logs
             if " -m lm_eval" in line or "lm_eval_cli" in line
             if re.search(rf"--output_path \S*/{re.escape(out_label)}(\s|$)", line) and s <= when]
    return re.sub(r"^\S*python3? ", "python ", max(found)[1]) if found else None


def adapter_hashes(grid: Path) -> dict[str, str]:
    f = grid / "adapters.sha256"
    if not f.exists():
        return {}
    return {Path(p).parent.name: h for h, p in (line.split() for line in f.read_text().splitlines() if line.strip())}


def recipe_of(m: re.Match) -> dict:
    from evaluation.run_record import recipe_coordinates

    overrides = {}
    if m["seed"]:
        overrides["seed"] = int(m["seed"])
    if m["dropout0"]:
        overrides["lora_dropout"] = 0.0
    yml = ROOT / "axolotl_configs" / f"{m['recipe']}.yml"
    rec = recipe_coordinates(yml, overrides)
    rec["file"] = f"axolotl_configs/{yml.name}"
    return rec


def backfill_run(run_dir: Path, grid: Path, grid_logs: list, hashes: dict, manifest: Path | None) -> dict | None:
    results = sorted(run_dir.glob("*/results_*.json"))
    if not results:
        return None
    res = json.loads(results[0].read_text())
    c = res.get("config", {})
    args = c.get("model_args") or {}
    if isinstance(args, str):
        args = dict(kv.split("=", 1) for kv in args.split(",") if "=" in kv)
    label = run_dir.name
    m = NAME.match(label)
    served = run_dir / "served.json"
    served = json.loads(served.read_text()) if served.exists() else None
    peft = args.get("peft")
    rec = {"schema": SCHEMA, "made": res.get("date") and f"backfilled; results dated {results[0].stem[8:]}",
           "base_model": {"path": "models/gemma-3-270m", "sha256": None}, "adapter": None, "recipe": None,
           "training": None, "data_manifest_sha256": None,
           "tasks": sorted(res.get("n-samples", {})) or c.get("tasks"), "limit": c.get("limit"),
           "generation": c.get("gen_kwargs") or None, "seed": ",".join(str(c.get(k)) for k in (
               "random_seed", "numpy_seed", "torch_seed", "fewshot_seed")),
           "backend": {"name": "transformers", "dtype": args.get("dtype"), "quantisation": None,
                       "device": c.get("device"), "batch_size": c.get("batch_size"),
                       "attn_implementation": args.get("attn_implementation")}}
    if served:  # assistant.grade: a llama.cpp server on a GGUF
        q = re.search(r"-(q\d\w*|f16|bf16)\.gguf$", served["gguf"])
        rec["backend"] = {"name": "llama.cpp server", "gguf": served["gguf"], "gguf_sha256": served["gguf_sha256"],
                          "quantisation": q[1] if q else None, "threads": served.get("threads")}
        rec["command"] = (f"python -m assistant.grade --gguf {served['gguf']} --output_path {run_dir.relative_to(run_dir.parents[1].parent)}"
                          f" --tasks {served['tasks']}" + (f" --limit {served['limit']}" if served.get("limit") else "")
                          + (f" -- {' '.join(served['lm_eval_args'])}" if served.get("lm_eval_args") else ""))
        rec["tasks"] = served["tasks"].split(",")
        gguf_dir = Path(served["gguf"]).parent.name
        m = NAME.match(gguf_dir)
        if m:
            rec["adapter"] = {"path": f"runs/gemma_grid/adapters/{m['recipe']}", "sha256": sha256_of(
                ROOT / "runs/gemma_grid/adapters" / m["recipe"], "adapter_model.safetensors"), "merged_into_gguf": True}
    else:
        out_label = Path(str(c.get("output_path") or label)).name
        stamp = results[0].stem[len("results_"):]
        rec["command"] = command_from_logs(grid_logs, re.sub(r"-retrain\d*", "", label), stamp) \
            or command_from_logs(grid_logs, out_label, stamp)
        if rec["command"] and (t := re.search(r"--tasks (\S+)", rec["command"])):
            rec["tasks"] = t[1].split(",")
    if peft:
        trained = m and "".join(x for x in (m["recipe"], m["dropout0"], m["seed"] and f"-seed{m['seed']}",
                                            m["retrain"]) if x)
        checkpoint = re.search(r"checkpoint-\d+/?$", peft)
        rec["adapter"] = {"path": re.sub(r"^.*?(?=outputs/)", "", peft),
                          "sha256": None if checkpoint or not trained else hashes.get(trained)}
    if m and (peft or served):
        rec["recipe"] = recipe_of(m)
        training = label if not m["step"] else label[:label.rindex("-checkpoint-")]
        rec["training"] = training if not served else m["recipe"]  # a GGUF of the committed grid-1 adapter
        step = int(m["step"]) if m["step"] else None
        state = grid / "training" / training / "trainer_state.json"
        last = json.loads(state.read_text()).get("global_step") if state.exists() else None
        rec["recipe"].update(checkpoint_step=step, last_step=last if step else None)
        if m["rest"]:  # -passk, -rerun, -float32, -mbpp: another evaluation of the same adapter
            rec["recipe"]["evaluation"] = m["rest"][1:]
            rec["training"] = training[:-len(m["rest"])] if not served else m["recipe"]
        if manifest and not served:
            rec["data_manifest_sha256"] = sha256_of(manifest)
    return rec


def main(argv: list[str]) -> int:
    runs = Path(argv[0]) if argv else ROOT / "runs"
    written = 0
    for grid in sorted(p for p in runs.iterdir() if p.is_dir()):
        grid_logs = logs(grid)
        hashes = adapter_hashes(grid)
        manifest = next((m for m in (grid / "data_manifest.json", runs / "data_manifest.json") if m.exists()), None)
        folders = sorted({r.parent.parent for r in grid.rglob("results_*.json")})
        for run_dir in folders:
            if (run_dir / RECORD).exists():
                continue
            rec = backfill_run(run_dir, grid, grid_logs, hashes, manifest)
            if rec:
                write(run_dir, rec)
                written += 1
                print(f"{run_dir.relative_to(runs.parent)}/{RECORD}: {rec['training'] or rec['backend']['name']}"
                      f"{'' if rec.get('command') else ' (no command in the logs)'}")
    print(f"{written} run records written", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
