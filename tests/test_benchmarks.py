import hashlib
import json
from pathlib import Path

import pytest

from common.benchmark_sets import HUMANEVAL_PATH, MBPP_PATH, MBPPPLUS_PATH, load_humaneval, load_mbpp, load_mbppplus

ROOT = Path(__file__).resolve().parents[1]
HASHES = {MBPP_PATH: "143559fa164408d45cab058238471288b0e447507ce55db3057c56113d9dccb4",
          MBPPPLUS_PATH: "f7ac9d4027a26c771c06d2e0129636a76d11b95decc7a676c6a7bb52daf2ed95",
          HUMANEVAL_PATH: "b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef"}


def test_vendored_sets_are_the_published_files():
    for path, digest in HASHES.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, path


def test_loaders():
    assert len(load_mbpp()) == 974 and len(load_humaneval()) == 164
    plus = load_mbppplus()
    assert len(plus) == 399 and all(isinstance(t["base_input"], list) and isinstance(t["plus_input"], list) for t in plus)
    by_id = {t["task_id"]: t for t in plus}
    assert isinstance(by_id["Mbpp/106"]["base_input"][0][1], tuple)  # EvalPlus' per-task tuple decoding


@pytest.mark.slow
def test_decode_overhead_cases_generate_the_adapters_tokens(tmp_path, gemma_hf):
    """bench_decode_overhead on Gemma 3 270M's structure with the committed adapter's LoRA layout: every case that
    changes how a step runs generates the tokens PEFT does, and the comparison is one the adapter can fail."""
    import torch

    from benchmarks.bench_decode_overhead import decode, lean_lora, main, tiny_model, with_adapter

    out = tmp_path / "rows.json"
    adapter = ROOT / "runs/gemma_grid/adapters/gemma3-270m-code-r8"
    # bfloat16 as on a GPU: PEFT keeps the adapter in float32 there, so the lean forward must cast as PEFT does
    assert main(["--config", str(gemma_hf), "--adapter", str(adapter), "--device", "cpu", "--dtype", "bfloat16",
                 "--batch", "4", "--prompt", "16", "--steps", "8", "--repeats", "1", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["lean_layers"] == 18 * 7 and result["dtype"] == "bfloat16"
    rows = result["cases"]
    assert [r["case"] for r in rows] == ["peft", "peft, inference_mode", "lean LoRA", "lean LoRA, inference_mode",
                                         "no adapter"]
    assert [r["same_tokens"] for r in rows] == [True, True, True, True, None] and all(r["ms_per_step"] > 0 for r in rows)

    model = with_adapter(tiny_model(str(gemma_hf), torch.float32, "cpu"), adapter)
    ids = torch.randint(3, 1024, (4, 16), generator=torch.Generator().manual_seed(0))
    mask = torch.ones_like(ids)
    _, peft = decode(model, ids, mask, 8, "no_grad", 1, "cpu")
    assert lean_lora(model) == 18 * 7  # every targeted linear of every layer
    _, lean = decode(model, ids, mask, 8, "no_grad", 1, "cpu")
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.zero_()
    _, without = decode(model, ids, mask, 8, "no_grad", 1, "cpu")
    assert torch.equal(lean, peft) and not torch.equal(without, peft)


def _lm_eval_reads(argv: list[str]):
    """What lm-eval's own CLI parser reads from a command line (after the launcher's words, from `run` on)."""
    from lm_eval._cli import HarnessCLI

    return HarnessCLI()._parser.parse_args(argv[argv.index("run"):])


def test_benchmarks_build_their_lm_eval_commands_with_the_one_builder(tmp_path):
    """bench_eval's cases and oracle_repeat's runs are the command evaluation.lm_eval_command builds for the same
    settings, and lm-eval's own parser reads from them the settings each benchmark means."""
    import argparse
    import sys

    from benchmarks import bench_eval, oracle_repeat
    from evaluation.lm_eval_command import lm_eval_command

    a = argparse.Namespace(tasks="mbpp_custom_alpaca", device="cpu", batch="4", limit=3)
    opts = {"batch": "8", "gen_kwargs": ["do_sample=False", "max_gen_toks=16"]}
    cmd = bench_eval.case_command(a, "pretrained=m,dtype=float32", opts, tmp_path / "case")
    assert cmd == lm_eval_command("pretrained=m,dtype=float32", "mbpp_custom_alpaca", tmp_path / "case", launcher=[],
                                  include_path=ROOT / "lm_eval_tasks", device="cpu", batch_size="8", limit=3,
                                  gen_kwargs="do_sample=False,max_gen_toks=16", seed="0,1234,1234,1234")
    got = _lm_eval_reads(cmd)
    assert (got.model, got.model_args, got.tasks) == ("hf", {"pretrained": "m", "dtype": "float32"},
                                                      ["mbpp_custom_alpaca"])
    assert got.batch_size == "8" and got.limit == 3 and got.device == "cpu" and got.log_samples
    assert got.gen_kwargs == {"do_sample": False, "max_gen_toks": 16} and got.seed == [0, 1234, 1234, 1234]
    assert got.output_path == str(tmp_path / "case") and got.include_path == str(ROOT / "lm_eval_tasks")
    plain = bench_eval.case_command(argparse.Namespace(tasks="t", device="cuda", batch="256", limit=None), "x=1", {},
                                    tmp_path)
    assert "--limit" not in plain and "--gen_kwargs" not in plain and plain[plain.index("--batch_size") + 1] == "256"

    oracle = oracle_repeat.command("mbppplus_custom", tmp_path / "run0")
    assert oracle == lm_eval_command("", "mbppplus_custom", tmp_path / "run0", model="codeeval-oracle",
                                     launcher="plugin")
    assert oracle[:3] == [sys.executable, "-m", "evaluation.lm_eval_cli"] and "--model_args" not in oracle
    got = _lm_eval_reads(oracle)
    assert (got.model, got.tasks, got.include_path, got.log_samples) == ("codeeval-oracle", ["mbppplus_custom"],
                                                                         "lm_eval_tasks", True)
