"""Axolotl recipes: in sync with the matrix, accepted by Axolotl's own config loader, and the tiny recipe trains
2 steps on CPU on the real prepared data and writes an adapter that peft loads."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from axolotl_configs.recipes import PROFILES, RANKS, VARIANTS, main as recipes_main, matrix

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "AXOLOTL_DO_NOT_TRACK": "1", "DO_NOT_TRACK": "1", "WANDB_MODE": "disabled",
       "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def test_yamls_are_in_sync_with_the_matrix():
    assert recipes_main(["--check"]) == 0


def test_matrix_covers_every_rank_variant_and_profile():
    names = set(matrix())
    for v in VARIANTS:
        for r in RANKS:
            for profile in PROFILES:
                assert f"mistral7b-{v}-r{r}" + ("" if profile == "full" else f"-{profile}") in names
            assert f"gemma3-270m-{v}-r{r}" in names
    cfg, _, _ = matrix()["mistral7b-code-r32-t4"]
    assert cfg["fp16"] is True and cfg["bf16"] is False and cfg["load_in_4bit"] is True
    assert matrix()["mistral7b-code_explained-r64"][0]["lora_alpha"] == 128


@pytest.mark.slow
def test_every_recipe_passes_axolotl_validation(workspace_tiny):
    """Axolotl's load_cfg validates each YAML; the base model is swapped for a local folder of the same
    architecture, because the hub is out of reach here (the recipe keeps the real hub id for users)."""
    script = (
        "import sys\nfrom axolotl.cli.config import load_cfg\n"
        "for path in sys.argv[1:]:\n"
        f"    cfg = load_cfg(path, base_model={str(workspace_tiny)!r})\n"
        "    assert cfg.lora_r and cfg.datasets and cfg.sequence_len, path\n"
        "    assert ('/fsdp/' in path) == (cfg.fsdp_version == 2 and bool(cfg.fsdp_config)), path\n"
        "    full_7b = '/axolotl_configs/mistral7b-' in path and not path.endswith(('-12gb.yml', '-t4.yml'))\n"
        "    assert (cfg.activation_offloading == 'hidden_states') == full_7b, path\n"
        "    print('ok', path)\n")
    paths = sorted(str(p) for p in (ROOT / "axolotl_configs").rglob("*.yml"))
    proc = subprocess.run([sys.executable, "-c", script, *paths], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("ok ") == len(paths) == len(matrix())


@pytest.mark.slow
def test_tiny_recipe_trains_two_steps_and_peft_loads_the_adapter(workspace_tiny):
    out = ROOT / "outputs/adapters/tiny-mistral-code-r8"
    proc = subprocess.run([sys.executable, "-m", "axolotl.cli.train", "axolotl_configs/tiny-mistral-code-r8.yml"],
                          cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (out / "adapter_model.safetensors").exists()
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(workspace_tiny), out)
    assert model.peft_config["default"].r == 8
    assert any("lora_A" in n for n, _ in model.named_parameters())


def test_every_full_size_7b_recipe_has_an_fsdp_variant():
    recipes = matrix()
    for v in VARIANTS:
        for r in RANKS:
            single, _, _ = recipes[f"mistral7b-{v}-r{r}"]
            multi, header, _ = recipes[f"fsdp/mistral7b-{v}-r{r}"]
            assert multi["fsdp_config"]["transformer_layer_cls_to_wrap"] == "MistralDecoderLayer"
            assert multi["output_dir"] != single["output_dir"]
            # FSDP2 differs in its optimizer and keeps plain checkpointing (offloading not measured under it)
            differ = ("output_dir", "optimizer", "activation_offloading")
            assert "activation_offloading" not in multi
            assert {k: multi[k] for k in single if k not in differ} == {k: single[k] for k in single if k not in differ}
            assert "accelerate launch --config_file axolotl_configs/accelerate/2gpu.yaml" in header[2]


def _broken(tmp_path, **changes):
    cfg = yaml.safe_load((ROOT / "axolotl_configs/tiny-mistral-code-r8.yml").read_text())
    cfg.update(changes)
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_check_names_the_key_the_file_and_the_fix(tmp_path):
    from axolotl_configs.check import check_file

    bad = _broken(tmp_path, lora_rnak=8, sequence_len=-5, base_model="models/no-such-model")
    found = "\n".join(check_file(str(bad)))
    assert f"{bad}: `lora_rnak` is not an Axolotl option (did you mean `lora_r`?)" in found
    assert f"{bad}: `sequence_len` is -5, must be ≥ 1" in found
    assert "`base_model` 'models/no-such-model' is not a folder here" in found
    # a committed recipe, its data paths pointed at files made here (no prepared data needed), passes
    cfg = yaml.safe_load((ROOT / "axolotl_configs/mistral7b-code-r32.yml").read_text())
    for key in ("datasets", "test_datasets"):
        for i, ds in enumerate(cfg[key]):
            ds["path"] = str(tmp_path / f"{key}{i}.jsonl")
            Path(ds["path"]).write_text('{"instruction": "Add.", "input": "", "output": "def add(a, b):\\n    return a + b"}\n')
    good = tmp_path / "good.yml"
    good.write_text(yaml.safe_dump(cfg))
    assert check_file(str(good), {"base_model": str(ROOT)}) == []
    missing = tmp_path / "missing.yml"
    missing.write_text(yaml.safe_dump({**cfg, "datasets": [{**cfg["datasets"][0], "path": str(tmp_path / "none.jsonl")}]}))
    assert "none.jsonl" in "\n".join(check_file(str(missing), {"base_model": str(ROOT)}))


@pytest.mark.slow
def test_the_readme_launch_line_fails_early_on_a_misspelt_key(tmp_path, workspace_tiny):
    bad = _broken(tmp_path, lora_rnak=8, base_model=str(workspace_tiny))
    proc = subprocess.run([sys.executable, "-m", "axolotl.cli.train", str(bad)], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0
    assert f"{bad}: `lora_rnak` is not an Axolotl option (did you mean `lora_r`?)" in proc.stderr
    assert "Loading" not in proc.stderr.split("lora_rnak")[0].split("\n")[-1]  # nothing loaded before it
    cli = subprocess.run([sys.executable, "-m", "axolotl_configs.check", str(bad)], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert cli.returncode == 1 and "lora_rnak" in cli.stderr


def test_the_first_ctrl_c_stops_training_after_the_step_and_says_where(capsys):
    import os
    import signal

    from transformers import TrainerControl, TrainerState, TrainingArguments

    from axolotl_configs.check import GracefulStop, RecipeCheck

    stop = GracefulStop()
    assert any(isinstance(c, GracefulStop) for c in RecipeCheck().add_callbacks_pre_trainer({}, None))
    args, state, control = TrainingArguments(output_dir="out/adapter", report_to=[]), TrainerState(), TrainerControl()
    state.global_step, state.max_steps = 7, 100
    before = signal.getsignal(signal.SIGINT)
    stop.on_train_begin(args, state, control)
    try:
        os.kill(os.getpid(), signal.SIGINT)  # the handler runs instead of KeyboardInterrupt
        stop.on_step_end(args, state, control)
    finally:
        stop.on_train_end(args, state, control)
    assert control.should_training_stop and control.should_save
    err = capsys.readouterr().err
    assert "Ctrl-C at step 7" in err and "stopped at step 7 of 100" in err and "out/adapter" in err
    assert signal.getsignal(signal.SIGINT) is before


def test_7b_recipes_take_the_measured_settings_and_cite_their_rows():
    """Every Mistral-7B profile feeds 16,384 token slots per optimizer step at 2048 tokens, with Liger and dropout 0;
    a profile's own values carry a comment naming the benchmark rows (files that exist) behind them."""
    from axolotl_configs.recipes import LIGER

    for name, (cfg, _, comments) in matrix().items():
        if not name.split("/")[-1].startswith("mistral7b-"):
            continue
        assert cfg["sequence_len"] * cfg["micro_batch_size"] * cfg["gradient_accumulation_steps"] == 16384, name
        assert cfg["lora_dropout"] == 0.0 and "axolotl.integrations.liger.LigerPlugin" in cfg["plugins"], name
        assert all(cfg[k] is True for k in LIGER), name
        for key in ("micro_batch_size", "lora_dropout", "sequence_len"):
            cited = [w.strip("(),;:.") for w in comments[key].split() if w.startswith(("runs/perf/", "(runs/perf/"))]
            assert cited and all((ROOT / c).exists() for c in cited), (name, key, comments[key])
    assert matrix()["mistral7b-code-r32-12gb"][0]["micro_batch_size"] == 4
    assert matrix()["mistral7b-code-r64-t4"][0]["fp16"] is True
    assert matrix()["gemma3-270m-code-r8"][0]["sequence_len"] == 1024  # the experiment's recipes stay as trained


def test_full_7b_recipes_offload_checkpointed_activations_and_cite_the_case():
    """The full profile takes `activation_offloading: hidden_states` (measured: same speed, a third less memory),
    its comment names the benchmark case and the report; profiles and variants not measured with it keep without."""
    from axolotl_configs.recipes import PROFILE_KEY_COMMENTS

    for name, (cfg, _, comments) in matrix().items():
        full_7b = name.startswith("mistral7b-") and not name.endswith(("-12gb", "-t4"))
        assert (cfg.get("activation_offloading") == "hidden_states") == full_7b, name
        if full_7b:
            assert cfg["gradient_checkpointing"] is True, name  # axolotl refuses offloading without it
            assert comments["activation_offloading"] == PROFILE_KEY_COMMENTS["full"]["activation_offloading"]
    why = PROFILE_KEY_COMMENTS["full"]["activation_offloading"]
    assert "`2048 + Liger + micro-batch 8 + dropout 0 + varlen + offloading (hidden_states)`" in why
    assert "reports/performance.md" in why and "expandable_segments:True" in why
    text = (ROOT / "axolotl_configs/mistral7b-code-r32.yml").read_text()
    assert "\nactivation_offloading: hidden_states\n" in text
    assert "activation_offloading" not in (ROOT / "axolotl_configs/fsdp/mistral7b-code-r32.yml").read_text()
    assert "PYTORCH_CUDA_ALLOC_CONF=${PYTORCH_CUDA_ALLOC_CONF:-expandable_segments:True}" in (
        ROOT / "scripts/train.sh").read_text()


@pytest.mark.slow
def test_the_full_7b_recipe_offloads_through_axolotls_own_validation(workspace_tiny):
    """Axolotl's schema accepts the offloading key and turns on the non-reentrant checkpointing it needs."""
    script = (
        "from axolotl.cli.config import load_cfg\n"
        f"cfg = load_cfg('axolotl_configs/mistral7b-code-r32.yml', base_model={str(workspace_tiny)!r})\n"
        "print('offload', cfg.activation_offloading, cfg.gradient_checkpointing,"
        " cfg.gradient_checkpointing_kwargs['use_reentrant'])\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "offload hidden_states True False" in proc.stdout, proc.stdout[-2000:]


def test_recipe_comments_say_why_without_gpu_names_or_dates():
    """Users edit these files: a comment names the reason and the benchmark row, not the card or the day it was
    measured on; the experiment's repeats (seeds, dropout 0) are made by the grid, not committed as recipes."""
    import re

    names = set(matrix())
    assert not [n for n in names if re.search(r"-seed\d+$|-dropout0", n)], names
    gpu = re.compile(r"\b(H100|H200|A100|RTX|T4 |Colab|Turing|20\d\d-\d\d-\d\d)\b")
    for path in sorted((ROOT / "axolotl_configs").rglob("*.yml")):
        comments = [line for line in path.read_text().splitlines() if line.lstrip().startswith("#")]
        assert not [c for c in comments if gpu.search(c)], (path.name, [c for c in comments if gpu.search(c)])
