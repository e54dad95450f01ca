"""experiment/grid.py on the CPU with the tiny recipe: trains (or reuses) the adapter, evaluates base and adapter
through the real lm-eval CLI, reruns the adapter's evaluation from its saved files with identical results, and a
second invocation resumes (skips everything). benchmarks/bench_qlora_cost.py measures one case through the real
Axolotl CLI with its timing plugin; benchmarks/gpu_determinism.py compares runs of one batch."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from axolotl_configs.recipes import LIGER

from reporting.results import compare_samples, load_runs

from experiment.grid import Grid, parse, pick_slot, select_recipes

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "AXOLOTL_DO_NOT_TRACK": "1"}


@pytest.mark.slow
def test_grid_trains_evaluates_reruns_and_resumes(tmp_path, workspace_tiny):
    cmd = [sys.executable, "-m", "experiment.grid", "--recipes", "tiny-mistral-code-r8", "--base", str(workspace_tiny),
           "--device", "cpu", "--dtype", "float32", "--batch", "2", "--base-batch", "1", "--limit", "2", "--jobs-per-gpu", "2",
           "--base-tasks", "mbpp_custom", "--adapter-tasks", "mbpp_custom_alpaca", "--rerun", "tiny-mistral-code-r8",
           "--rerun-dtype", "float32", "float64", "--curve", "tiny-mistral-code-r8", "--curve-tasks", "mbpp_custom_alpaca",
           "--results", str(tmp_path)]
    first = subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=1200)
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
    assert "start tiny-mistral-code-r8 on the CPU" in first.stdout and "on GPU" not in first.stdout  # --device cpu
    for label in ("tiny-mistral", "tiny-mistral-alpaca", "tiny-mistral-code-r8", "tiny-mistral-code-r8-rerun",
                  "tiny-mistral-code-r8-float64", "tiny-mistral-code-r8-float64-rerun",
                  "tiny-mistral-code-r8-checkpoint-2"):  # the learning curve: the recipe saves at step 2
        assert list((tmp_path / label).glob("*/results_*.json")), label
    for first_label in ("tiny-mistral-code-r8", "tiny-mistral-code-r8-float64"):
        (original,) = load_runs([tmp_path / first_label])
        (rerun,) = load_runs([tmp_path / f"{first_label}-rerun"])
        first, again = original.samples["mbpp_custom_alpaca"], rerun.samples["mbpp_custom_alpaca"]
        assert len(first) == 2 and compare_samples(first, again) == (0, 0, 0), first_label
    batch = {label: load_runs([tmp_path / label])[0].config["batch_size"] for label in ("tiny-mistral", "tiny-mistral-alpaca")}
    assert batch == {"tiny-mistral": "1", "tiny-mistral-alpaca": "2"}, batch  # --base-batch: the base's own prompts only
    (f64,) = load_runs([tmp_path / "tiny-mistral-code-r8-float64"])
    assert "float64" in str(f64.config["model_args"])
    from reporting.results import learning_curve

    curve = "\n".join(learning_curve(load_runs([tmp_path / "tiny-mistral-code-r8-checkpoint-2"]), None))
    assert "**tiny-mistral-code-r8**" in curve and "| 2 | – | – | 0.0 ± 0.0 |" in curve, curve
    second = subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0
    assert second.stdout.count("skip") == 8 and "start" not in second.stdout, second.stdout  # the curve too
    for label in ("tiny-mistral", "tiny-mistral-alpaca"):
        for results in (tmp_path / label).glob("*/results_*.json"):
            results.unlink()
    third = subprocess.run([*cmd, "--no-base"], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=600)
    assert third.returncode == 0 and "start" not in third.stdout, third.stdout  # the base model's runs left out


def test_grid_takes_recipes_in_the_order_given_each_once():
    names = [p.stem for p in select_recipes(["gemma3-270m-code_explained-r8", "gemma3-270m-code-r8*", "gemma3-270m-code*-r8"])]
    assert names == ["gemma3-270m-code_explained-r8", "gemma3-270m-code-r8"], names


def test_the_grid_makes_seed_and_dropout_repeats_at_run_time(tmp_path):
    """--repeat and --seeds: each repeat is the recipe with only those keys and its own output folder, written under
    RESULTS/recipes/ and named as the experiment's runs were (NAME-dropout0-seed43); the record says its coordinates."""
    from evaluation.run_record import recipe_coordinates
    from experiment.grid import REPEATS, with_repeats

    a = parse(["--recipes", "gemma3-270m-code-r32", "--repeat", "gemma3-270m-code-r32:lora_dropout=0",
               "--seeds", "43", "--results", str(tmp_path)])
    made = with_repeats(select_recipes(a.recipes), a, tmp_path / "recipes")
    assert [p.stem for p in made] == ["gemma3-270m-code-r32", "gemma3-270m-code-r32-dropout0",
                                      "gemma3-270m-code-r32-seed43", "gemma3-270m-code-r32-dropout0-seed43"]
    import yaml

    base = yaml.safe_load(made[0].read_text())
    last = yaml.safe_load(made[-1].read_text())
    changed = {k for k in base if base[k] != last.get(k)}
    assert changed == {"lora_dropout", "seed", "output_dir"}, changed
    assert last["output_dir"] == "outputs/adapters/gemma3-270m-code-r32-dropout0-seed43"
    source, overrides = REPEATS[made[-1]]
    coords = recipe_coordinates(source, overrides)
    assert (coords["name"], coords["rank"], coords["seed"], coords["lora_dropout"]) == ("gemma3-270m-code-r32", 32, 43, 0)
    with pytest.raises(SystemExit):
        parse(["--recipes", "gemma3-270m-code-r32", "--repeat", "gemma3-270m-code-r32"])


def test_grid_caps_trainings_per_gpu_but_not_evaluations():
    jobs, trainings = {"0": 1, "1": 2}, {"0": 1, "1": 0}
    assert pick_slot(jobs, trainings, 3, 1, training=False) == "0"  # the least busy GPU
    assert pick_slot(jobs, trainings, 3, 1, training=True) == "1"  # GPU 0 already trains
    assert pick_slot({"0": 1}, {"0": 1}, 3, 1, training=True) is None  # waits for the training to end
    assert pick_slot({"0": 3}, {"0": 0}, 3, 1, training=False) is None  # GPU full


def test_grid_evaluations_leave_room_for_the_trainings_still_to_start(tmp_path):
    import threading

    grid = Grid(parse(["--recipes", "tiny-mistral-code-r8", "--gpus", "0", "--jobs-per-gpu", "2",
                       "--results", str(tmp_path)]))
    grid.to_train = {"tiny-mistral-code-r8"}
    got = []
    first = threading.Thread(target=lambda: got.append(grid.acquire(training=False)), daemon=True)
    first.start()
    first.join(5)
    assert got == ["0"]  # two places, one training to come: one evaluation starts at once
    waiter = threading.Thread(target=lambda: got.append(grid.acquire(training=False)), daemon=True)
    waiter.start()
    waiter.join(1)
    assert waiter.is_alive() and got == ["0"]  # the last place is kept for the training still to start
    grid.training_settled("tiny-mistral-code-r8")
    waiter.join(10)
    assert got == ["0", "0"] and grid.jobs["0"] == 2
    grid.release("0", False), grid.release("0", False)
    grid.to_train = {"tiny-mistral-code-r8", "tiny-mistral-code_explained-r8"}  # two to come fill both places
    waiter = threading.Thread(target=lambda: got.append(grid.acquire(training=False)), daemon=True)
    waiter.start()
    waiter.join(1)
    assert waiter.is_alive() and grid.jobs["0"] == 0
    grid.training_settled("tiny-mistral-code-r8")
    waiter.join(10)
    assert got == ["0", "0", "0"] and grid.jobs["0"] == 1


def test_grid_rejects_an_unknown_recipe():
    proc = subprocess.run([sys.executable, "-m", "experiment.grid", "--recipes", "no-such-recipe"], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "no-such-recipe" in proc.stderr


@pytest.mark.slow
def test_qlora_cost_benchmark_measures_a_case_through_axolotl(tmp_path, workspace_tiny):
    out = tmp_path / "cost.json"
    cpu = ["lora_qkv_kernel=false", "lora_o_kernel=false", "lora_mlp_kernel=false", "load_in_4bit=false",
           "adapter=lora", "bf16=false", "sdp_attention=false", "gradient_checkpointing=false", "sequence_len=256",
           "micro_batch_size=2", "plugins=[axolotl_configs.check.RecipeCheck]",  # Liger's kernels need a GPU
           "activation_offloading=null",  # offloading needs the checkpointing turned off above (and CUDA streams)
           *(f"{k}=null" for k in LIGER)]
    proc = subprocess.run([sys.executable, "benchmarks/bench_qlora_cost.py", "--model", str(workspace_tiny),
                           "--suite", "cost", "--only", "mistral7b-code-r8 packed", "--steps", "1", "--warmup", "1",
                           "--set", *cpu, "--out", str(out)], cwd=ROOT, env=ENV, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    (row,) = json.loads(out.read_text())
    assert row["name"] == "mistral7b-code-r8 packed" and row["lora_r"] == 8 and row["world_size"] == 1
    assert 0 < row["trainable_per_s"] < row["slots_per_s"]
    assert "mistral7b-code-r8 packed" in proc.stdout and "slots/s" in proc.stdout


@pytest.mark.slow
def test_grid_dp_mode_launches_lm_eval_through_accelerate(tmp_path, workspace_tiny):
    """dp mode wraps every job in `accelerate launch` (one process here: no GPU on CI); --deterministic evaluates
    through evaluation.lm_eval_cli --deterministic, --model-args reaches the model."""
    proc = subprocess.run([sys.executable, "-m", "experiment.grid", "--recipes", "tiny-mistral-code-r8", "--base",
                           str(workspace_tiny), "--gpus", "0", "--mode", "dp", "--dtype", "float32", "--batch", "2",
                           "--limit", "1", "--base-tasks", "mbpp_custom", "--adapter-tasks", "", "--results",
                           str(tmp_path), "--deterministic", "--model-args", "attn_implementation=eager"],
                          cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    log = (tmp_path / "logs" / "tiny-mistral.log").read_text()
    cmd = log.splitlines()[0].split()
    assert cmd[1:4] == ["-m", "accelerate.commands.launch", "--num_processes"]
    assert cmd[cmd.index("evaluation.lm_eval_cli") + 1] == "--deterministic"  # lm-eval through the deterministic launcher
    assert "[lm_eval_cli] deterministic algorithms on" in log
    (run,) = load_runs([tmp_path / "tiny-mistral"])
    assert run.config["model_args"].get("attn_implementation") == "eager", run.config["model_args"]


def test_tool_env_exports_the_launch_environment_to_shell_scripts():
    """`eval "$(python -m common.launch)"` in a shell script gives exactly TOOL_ENV."""
    from common.launch import TOOL_ENV

    proc = subprocess.run(["bash", "-c", f'eval "$({sys.executable} -m common.launch)" && env'], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    exported = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
    assert {k: exported.get(k) for k in TOOL_ENV} == TOOL_ENV


@pytest.mark.slow
def test_gpu_determinism_compares_runs_of_one_batch(tmp_path):
    """benchmarks/gpu_determinism.py on the CPU with a 1-layer model: every run (one after another, two at once)
    decodes the same tokens and the summary says so."""
    out = tmp_path / "det.json"
    proc = subprocess.run([sys.executable, "benchmarks/gpu_determinism.py", "--gpus", "0", "--layers", "1", "--vocab",
                           "512", "--batch", "3", "--min-len", "4", "--max-len", "10", "--new-tokens", "4", "--out",
                           str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    runs = json.loads(out.read_text())["runs"]
    assert list(runs) == ["GPU 0", "GPU 0 again", "GPU 0 shared 1", "GPU 0 shared 2"]
    assert {r["tokens"] for r in runs.values()} == {runs["GPU 0"]["tokens"]}
    assert all(r["rows_differing"] == 0 for r in runs.values())
    assert "rows differing from the first run" in proc.stdout


def test_peer_rows_are_packed_whole_with_positions_restarting_and_padding_unlabelled():
    from benchmarks.bench_unsloth import pack
    rows = [([1] * n, [-100] * (n // 2) + [7] * (n - n // 2)) for n in (5, 9, 3, 12, 6)]
    packed = pack(rows, 16, pad_id=0)
    assert all(len(r["input_ids"]) == len(r["labels"]) == len(r["position_ids"]) == 16 for r in packed)
    assert sum(r["tokens"] for r in packed) == 35  # every row, none cut
    lengths = []
    for r in packed:
        starts = [i for i, p in enumerate(r["position_ids"][:r["tokens"]]) if p == 0]
        lengths += [b - a for a, b in zip(starts, starts[1:] + [r["tokens"]])]
        assert r["labels"][r["tokens"]:] == [-100] * (16 - r["tokens"]) and set(r["input_ids"][r["tokens"]:]) <= {0}
    assert sorted(lengths) == [3, 5, 6, 9, 12]  # position ids restart at every row, each row whole
    assert sum(y != -100 for r in packed for y in r["labels"]) == sum(n - n // 2 for n in (5, 9, 3, 12, 6))


def test_unsloth_gets_a_micro_batch_as_one_row_in_which_each_document_stays_apart():
    """Unsloth keeps packed documents apart only within one row (its padding-free layout): the micro-batch's rows are
    laid end to end, every token and label kept, and the restarting position ids still mark each document (and each
    row's padding) as its own segment."""
    import torch
    from transformers.masking_utils import find_packed_sequence_indices

    from benchmarks.bench_unsloth import model_inputs, pack
    rows = [([1] * n, [-100] * (n // 2) + [7] * (n - n // 2)) for n in (5, 9, 3, 12, 6)]
    packed = pack(rows, 16, pad_id=0)
    one, several = model_inputs(packed, one_row=True), model_inputs(packed, one_row=False)
    assert [len(v) for v in several["input_ids"]] == [16] * len(packed)
    assert {k: len(v) for k, v in one.items()} == {"input_ids": 1, "labels": 1, "position_ids": 1}
    for k in one:
        assert one[k][0] == [x for row in several[k] for x in row]
    segments = find_packed_sequence_indices(torch.tensor(one["position_ids"]))
    padded = sum(r["tokens"] < 16 for r in packed)
    assert int(segments[0, -1]) + 1 == len(rows) + padded


@pytest.mark.slow
def test_peer_suite_runs_the_recipe_and_the_bare_loop_on_the_rows_axolotl_prepared(tmp_path, workspace_tiny):
    out = tmp_path / "peer.json"
    cpu = ["lora_qkv_kernel=false", "lora_o_kernel=false", "lora_mlp_kernel=false", "load_in_4bit=false",
           "adapter=lora", "bf16=false", "sdp_attention=false", "gradient_checkpointing=false"]
    proc = subprocess.run([sys.executable, "benchmarks/bench_qlora_cost.py", "--model", str(workspace_tiny),
                           "--suite", "peer", "--only", "baseline 2048", "peft loop micro-batch 8", "--steps", "1",
                           "--warmup", "1", "--set", *cpu, "--out", str(out)], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    axo, loop = json.loads(out.read_text())
    assert axo["tool"] == "axolotl" and loop["tool"].startswith("transformers + peft")
    assert loop["slots_per_s"] > loop["trainable_per_s"] > 0 and loop["micro_batch_size"] == 8
    assert 0 < loop["packing_efficiency"] <= 1 and loop["sequence_len"] == 2048


@pytest.mark.slow
def test_bench_unsloth_profiles_one_untimed_step(tmp_path, workspace_tiny):
    from datasets import Dataset
    Dataset.from_dict({"input_ids": [[1, 5, 6, 7] * 8] * 6, "labels": [[-100] * 16 + [5] * 16] * 6}).save_to_disk(
        str(tmp_path / "prepared" / "abc123"))
    out = tmp_path / "row.json"
    proc = subprocess.run([sys.executable, "benchmarks/bench_unsloth.py", "--model", str(workspace_tiny), "--data",
                           str(tmp_path / "prepared"), "--backend", "peft", "--no-4bit", "--seq", "64",
                           "--micro-batch", "1", "--steps", "1", "--warmup", "1", "--profile", "--out", str(out)],
                          cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (row,) = json.loads(out.read_text())
    assert row["slots_per_s"] > 0 and row["packing_efficiency"] == 1.0  # two 32-token rows fill each 64
    assert len(row["step_s_each"]) == 2 and all(s > 0 for s in row["step_s_each"])  # warm-up and timed; not profiled
    assert row["step_s_each"][-1] == row["step_s"]  # one timed step
    assert row["profile"]["kernels"] and row["profile"]["total_ms"] > 0
    assert set(row["attention_libraries"]) == {"flash_attn", "xformers"}  # versions, or None where not installed


def test_a_peer_case_named_before_any_axolotl_case_of_its_length_is_refused_at_once():
    """Unsloth trains on the rows an Axolotl case of the same invocation prepared: listed first, it could only fail
    after the model was built; the command refuses the order before anything runs."""
    proc = subprocess.run([sys.executable, "benchmarks/bench_qlora_cost.py", "--model", "no-such-model", "--suite", "peer",
                           "--only", "unsloth micro-batch 8", "2048 + Liger + micro-batch 8 + dropout 0"],
                          cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "case 'unsloth micro-batch 8' trains on the rows an Axolotl case of 2048 tokens prepares earlier" in proc.stderr


def test_a_peer_row_keeps_what_the_peer_printed_about_its_setup(tmp_path):
    """From the log of the Unsloth case that ran past its limit on 2026-12-06 (runs/perf/qlora_peer_h200_run2.json):
    its own lines, in order, once each; progress bars and warnings left out; a peer that prints none keeps none."""
    from benchmarks.bench_qlora_cost import tool_messages
    failed = next(r for r in json.loads((ROOT / "runs/perf/qlora_peer_h200_run2.json").read_text()) if "error" in r)
    (tmp_path / "log.txt").write_text("\n".join(failed["log_tail"] * 2))
    said = tool_messages(tmp_path, "unsloth")
    assert said[0] == "Unsloth: /tmp/codelora/mistral7b has no pad_token. Using pad_token = <unk>."
    assert "Unsloth: compiling each transformer block as one region (MistralDecoderLayer)." in said
    assert said[-1] == "Unsloth: Double buffering enabled (parallel H2D + compute) for backward pass."
    assert len(said) == 5 and not any("Loading weights" in m or "Warning" in m for m in said)
    assert tool_messages(tmp_path, "peft") == []


def test_benchmark_cases_offload_activations_only_where_their_name_says_so():
    """The full recipe offloads activations; the suites' cases built on axolotl's defaults take that out again, so a
    case measures offloading exactly when its name says it does (the config bench_qlora_cost.py runs)."""
    from benchmarks.bench_qlora_cost import SUITES, case_config

    seen = set()
    for suite in ("levers", "peer"):
        for case in SUITES[suite]():
            if case.tool != "axolotl":
                continue
            cfg = case_config(case)
            seen.add(cfg.get("activation_offloading"))
            assert bool(cfg.get("activation_offloading")) == ("offloading" in case.name), case.name
    assert {None, True, "legacy", "hidden_states"} <= seen
    cost = {c.name: c for c in SUITES["cost"]()}
    assert "activation_offloading" not in cost["mistral7b-code-r32 packed"].overrides  # the recipe as committed


def test_the_base_takes_its_own_alpaca_tasks_when_given(tmp_path):
    """--base-alpaca-tasks: the base's Alpaca-prompt run takes only those tasks (e.g. a suite that changed), while the
    adapters keep --adapter-tasks; without it the base's Alpaca run takes the adapters' tasks."""
    def calls(extra):
        grid = Grid(parse(["--recipes", "tiny-mistral-code-r8", "--results", str(tmp_path), "--base-tasks", "custom_suite",
                           "--adapter-tasks", "codeeval_alpaca", *extra]))
        got = []
        grid.evaluate = lambda label, tasks, *a, **k: got.append((label, tasks)) or True
        grid.train = lambda recipe: True
        grid.run = lambda *a, **k: True  # the recipe's preprocessing
        grid.needs_training = lambda recipe: False
        grid.adapter = lambda recipe: tmp_path / "adapter"
        assert grid.main() == 0
        return sorted(got)

    base = Path(parse(["--recipes", "tiny-mistral-code-r8"]).base).name
    assert calls(["--base-alpaca-tasks", "custom_suite_alpaca"]) == sorted([
        (base, "custom_suite"), (f"{base}-alpaca", "custom_suite_alpaca"), ("tiny-mistral-code-r8", "codeeval_alpaca")])
    assert (f"{base}-alpaca", "codeeval_alpaca") in calls([])


def test_a_job_that_falls_silent_is_killed_with_what_it_started_and_counted_failed(tmp_path):
    """--stall-minutes: a job whose log stops growing (a training that hung on its way out after running out of GPU
    memory) is killed, its children too, and the grid goes on; a job that keeps writing runs to its end."""
    grid = Grid(parse(["--recipes", "tiny-mistral-code-r8", "--results", str(tmp_path), "--stall-minutes", "0.02"]))
    pid_file = tmp_path / "child.pid"
    hang = ("import subprocess, sys, time; c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']);"
            f" open({str(pid_file)!r}, 'w').write(str(c.pid)); print('loaded', flush=True); time.sleep(120)")
    assert grid.run("hung", ["-c", hang], gpu=False) is False
    assert grid.failed == ["hung"] and "loaded" in (tmp_path / "logs" / "hung.log").read_text()
    stat = Path(f"/proc/{int(pid_file.read_text())}/stat")
    for _ in range(50):  # killed: gone, or a zombie until whatever adopted it reaps it
        if not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] == "Z":
            break
        time.sleep(0.1)
    else:
        pytest.fail("the hung job's child is still running")
    busy = "import time\nfor i in range(12):\n    print(i, flush=True); time.sleep(0.25)"  # 3 s, longer than 1.2
    assert grid.run("busy", ["-c", busy], gpu=False) is True and grid.failed == ["hung"]



def _take(grid, got, name, training):
    """A job asking for a slot in a thread of its own; `got` lists the jobs in the order they were given one."""
    import threading

    def job():
        grid.acquire(training=training, name=name)
        got.append(name)

    waiting = len(grid.waiting)
    t = threading.Thread(target=job, daemon=True)
    t.start()
    _until(lambda: len(grid.waiting) > waiting)  # it is waiting before the next one asks
    return t


def _until(condition, seconds: float = 30) -> None:
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "the grid did not get there"
        time.sleep(0.01)


def test_trainings_start_in_the_order_given_and_results_first_puts_evaluations_ahead(tmp_path):
    for results_first in (False, True):
        grid = Grid(parse(["--recipes", "tiny-mistral-code-r8", "--gpus", "0", "--results", str(tmp_path)]
                          + ["--results-first"] * results_first))
        grid.acquire(training=False)  # the GPU's one place is taken
        grid.order, grid.to_train = {"a": 0, "b": 1}, {"a", "b"}
        got = []
        threads = [_take(grid, got, "b", True), _take(grid, got, "a", True), _take(grid, got, "eval", False)]
        assert got == []
        kinds = {"a": True, "b": True, "eval": False}
        previous = False
        for n in range(1, 4):  # free the place, see who takes it
            grid.release("0", previous)
            _until(lambda: len(got) == n)
            previous = kinds[got[-1]]
            grid.training_settled(got[-1])
        # "a" before "b" (their places in --recipes, though "b" asked first); the evaluation waits for both
        # trainings to start by default, and goes first with --results-first
        assert got == (["eval", "a", "b"] if results_first else ["a", "b", "eval"])
        for t in threads:
            t.join(1)


def test_results_first_keeps_the_slot_for_an_evaluation_due_before_its_job_asks(tmp_path):
    # an adapter from an earlier session: its evaluation is due from the start, though its job asks for a slot only
    # after it has looked for the adapter; a training that asks first must not take the slot
    grid = Grid(parse(["--recipes", "tiny-mistral-code-r8", "--gpus", "0", "--results", str(tmp_path),
                       "--results-first"]))
    grid.order, grid.to_train, grid.to_evaluate = {"a": 0}, {"a"}, {"due"}
    got = []
    threads = [_take(grid, got, "a", True)]
    with grid.lock:  # the slot is free, but the due evaluation has not asked yet
        assert grid.free_slot(True, "a") is None and got == []
    assert grid.acquire(training=False, name="due") == "0" and grid.to_evaluate == set()
    grid.release("0", False)
    _until(lambda: got == ["a"])
    threads[0].join(1)


def test_evaluate_only_trains_nothing_and_says_what_it_skipped(tmp_path, capsys):
    grid = Grid(parse(["--recipes", "tiny-mistral-code-r8", "--gpus", "0", "--results", str(tmp_path),
                       "--evaluate-only"]))
    grid.run = lambda *a, **k: pytest.fail("--evaluate-only started a job")
    recipe = tmp_path / "r.yml"
    recipe.write_text(f"output_dir: {tmp_path / 'no-adapter'}\ndataset_prepared_path: x\n")
    assert grid.train(recipe) is False
    assert "skip r (no adapter, and --evaluate-only trains nothing)" in capsys.readouterr().out
