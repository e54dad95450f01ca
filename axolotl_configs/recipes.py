"""The recipe matrix: one base, per-model / per-profile / per-rank overrides, rendered to one YAML per recipe.

python -m axolotl_configs.recipes            # (re)write the YAMLs next to this file
python -m axolotl_configs.recipes --check    # exit 1 if a committed YAML differs from the matrix (CI runs this)

Every value that is a choice carries its reason in COMMENTS and lands as a comment in the YAML.
"""
from __future__ import annotations

import sys
from pathlib import Path

import yaml

from common.generated_files import cli

HERE = Path(__file__).parent
DATA = "data/prepared"  # written by `python -m codealpaca_prep`
RANKS = (8, 16, 32, 64)
VARIANTS = ("code", "code_explained")

BASE = {
    "adapter": "qlora",
    "load_in_4bit": True,
    "lora_alpha": None,  # 2 x rank, set per recipe
    "lora_dropout": 0.05,
    "lora_target_linear": True,
    "sequence_len": 1024,
    "sample_packing": True,
    "eval_sample_packing": False,
    "pad_to_sequence_len": True,
    "train_on_inputs": False,
    "num_epochs": 3,
    "micro_batch_size": 4,
    "gradient_accumulation_steps": 4,
    "optimizer": "paged_adamw_8bit",
    "learning_rate": 0.0002,
    "lr_scheduler": "cosine",
    "warmup_ratio": 0.03,
    "weight_decay": 0.0,
    "bf16": "auto",
    "tf32": False,
    "gradient_checkpointing": True,
    "activation_offloading": None,  # set per profile, where a row measured it
    "sdp_attention": True,
    "logging_steps": 10,
    "evals_per_epoch": 4,
    "saves_per_epoch": 1,
    "seed": 42,
    "strict": False,
    "plugins": ["axolotl_configs.check.RecipeCheck"],
}

COMMENTS = {
    "plugins": "checks this file's keys, ranges and paths before Axolotl loads anything (axolotl_configs/check.py)",
    "lora_alpha": "alpha = 2 x r keeps the update scale alpha/r constant across the rank sweep",
    "lora_dropout": "light regularisation: ~5.8k training rows, 3 epochs",
    "lora_target_linear": "all attention and MLP projections (QLoRA paper: all linear layers matter)",
    "sequence_len": "1024 keeps all but a handful of rows whole (token lengths: reports/data.md)",
    "sample_packing": "most rows are short (reports/data.md): packing cuts the padding waste several-fold",
    "train_on_inputs": "loss on the response only; the prompt is given at inference",
    "num_epochs": "small dataset; validation loss (evals_per_epoch) shows over-fitting if it starts",
    "learning_rate": "2e-4, the QLoRA paper's value for 7B adapters",
    "lr_scheduler": "cosine decay with a short warm-up",
    "optimizer": "8-bit paged AdamW: optimizer state fits beside the 4-bit base",
    "gradient_checkpointing": "trades speed for activation memory; the 12gb profile does not fit without it",
    "seed": "fixed for reproducible shuffling, dropout and LoRA init",
    "micro_batch_size": "per-GPU rows (packed to sequence_len) per step",
}

# The fastest settings measured for the 7B QLoRA (benchmarks/bench_qlora_cost.py; rows in runs/perf/): Liger's
# kernels, 8 packed rows of 2048 tokens per micro-batch, no LoRA dropout.
LIGER = {"liger_rope": True, "liger_rms_norm": True, "liger_glu_activation": True,
         "liger_fused_linear_cross_entropy": True}
FAST_7B = {"sequence_len": 2048, "micro_batch_size": 8, "gradient_accumulation_steps": 1, "lora_dropout": 0.0,
           "plugins": [*BASE["plugins"], "axolotl.integrations.liger.LigerPlugin",
                       "axolotl_configs.varlen_attention.VarlenAttentionPlugin"], **LIGER}

MODELS = {
    "mistral7b": {"base_model": "mistralai/Mistral-7B-v0.1", "model_type": "MistralForCausalLM",
                  "tokenizer_type": "LlamaTokenizer", **FAST_7B},
    # the real pretrained model that runs here (converted once by `python -m model_builders.gemma_gguf models/gemma-3-270m`)
    "gemma3-270m": {"base_model": "models/gemma-3-270m", "model_type": "Gemma3ForCausalLM", "load_in_4bit": False,
                    "adapter": "lora", "micro_batch_size": 16, "gradient_accumulation_steps": 1,
                    "optimizer": "adamw_torch", "learning_rate": 0.0005, "eval_batch_size": 4, "evals_per_epoch": 1,
                    "dataset_num_proc": 1},
    # random weights, real tokenizer (`python -m model_builders.random_mistral models/tiny-mistral`): smoke tests only
    "tiny-mistral": {"base_model": "models/tiny-mistral", "model_type": "MistralForCausalLM", "load_in_4bit": False,
                     "adapter": "lora", "micro_batch_size": 2, "gradient_accumulation_steps": 1, "max_steps": 2,
                     "optimizer": "adamw_torch", "bf16": False, "sdp_attention": False, "gradient_checkpointing": False,
                     "sample_packing": False, "pad_to_sequence_len": False, "sequence_len": 256,
                     "evals_per_epoch": None, "saves_per_epoch": None, "save_steps": 2,
                     "lora_qkv_kernel": False, "lora_o_kernel": False, "lora_mlp_kernel": False},
}

PROFILES = {
    # a card with room for the full micro-batch (80 GB class); checkpointed activations offloaded to the host
    "full": {"activation_offloading": "hidden_states"},
    # 12 GB cards: half the micro-batch, the same 16,384 token slots per optimizer step
    "12gb": {"micro_batch_size": 4, "gradient_accumulation_steps": 2},
    # 16 GB cards without bf16: no bf16, no tf32; fp16 mixed precision instead
    "t4": {"bf16": False, "fp16": True},
}
PROFILE_COMMENTS = {"12gb": "12 GB cards: peak reserved memory + CUDA context must stay under 11 GiB",
                    "t4": "16 GB cards without bf16: fp16 mixed precision; peak reserved + context under 14.5 GiB"}
# Per-key reasons of a profile's values: the rows that decided them.
PROFILE_KEY_COMMENTS = {
    "full": {"activation_offloading": "each decoder layer's checkpointed input goes to pinned host memory, copied on a "
                                      "side stream while compute goes on: the same trainable tokens/s as without it at a "
                                      "third less peak allocated memory (case `2048 + Liger + micro-batch 8 + dropout 0 + "
                                      "varlen + offloading (hidden_states)` against the case without it, "
                                      "benchmarks/bench_qlora_cost.py --suite peer; rows in runs/perf/, "
                                      "reports/performance.md). Axolotl's other offloaders (`true`, `legacy`) measured "
                                      "at less than half the speed. PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True "
                                      "(scripts/train.sh sets it) lowers the reserved memory further at the same speed"},
    "12gb": {"micro_batch_size": "micro-batch 4: the largest whose peak reserved memory at r32 and r64 stays under 11 GiB "
                                 "(benchmarks/bench_qlora_cost.py; rows in runs/perf/qlora_cost.json, reports/performance.md)",
             "gradient_accumulation_steps": "4 x 2 x 2048 = 16,384 token slots per optimizer step, as the full recipe"},
    "t4": {"micro_batch_size": "micro-batch 8 as the full recipe: r64 in fp16 stays under 14.5 GiB reserved "
                               "(benchmarks/bench_qlora_cost.py; rows in runs/perf/qlora_cost.json)",
           "fp16": "fp16 autocast, the memory above measured with it"},
}
# Comments for values a model overrides (a BASE comment only lands where the value is BASE's).
MODEL_COMMENTS = {
    "mistral7b": {
        "sequence_len": "2048-token packed rows keep every row whole (longest 1,932 tokens, reports/data.md) and are "
                        "the shape every speed row was measured at (runs/perf/)",
        "micro_batch_size": "Liger + micro-batch 8 + LoRA dropout 0: the fastest setting measured that fits, about twice "
                            "Axolotl's defaults (benchmarks/bench_qlora_cost.py; rows in runs/perf/, reports/performance.md)",
        "gradient_accumulation_steps": "8 x 2048 = 16,384 token slots per optimizer step, as before (4 x 4 x 1024)",
        "lora_dropout": "0: faster and leaner than 0.05 (benchmarks/bench_qlora_cost.py, runs/perf/qlora_cost.json); "
                        "on Gemma 3 270M, r32 with 0 and with 0.05 could not be told apart in pass@1 over three seeds "
                        "each (reports/results_grid4.md, configuration against configuration)",
        "plugins": "the recipe check; Liger's kernels (RoPE, RMSNorm, SwiGLU, and a fused linear cross-entropy that "
                   "never materialises the logits, which is what lets micro-batch 8 fit); packed rows attend on torch's flash "
                   "varlen kernel, each document to itself, instead of SDPA over the whole row with a mask "
                   "(axolotl_configs/varlen_attention.py)",
    },
    "gemma3-270m": {"adapter": "270M parameters fit in bf16: plain LoRA, no 4-bit base",
                    "optimizer": "full-precision AdamW: the LoRA state of a 270M model is tiny",
                    "learning_rate": "5e-4: small models take a larger LoRA step than the 7B's 2e-4",
                    "micro_batch_size": "16 packed rows of 1024 tokens per step: 16,384 token slots, as the 7B recipe",
                    "eval_batch_size": "a 262k vocabulary: 16 x 1024 fp32 eval logits alone would take 16 GiB",
                    "evals_per_epoch": "one validation pass per epoch keeps the loss curve and the run short",
                    "dataset_num_proc": "each extra tokenising worker loads the 262k-token tokenizer again: with this "
                                        "small dataset one worker preprocesses fastest"},
    "tiny-mistral": {"adapter": "random 2-layer model: a smoke test of the recipe shape, nothing to learn"},
}

# Multi-GPU: data-parallel QLoRA with FSDP2 (one shard of the 4-bit base per GPU). Launch with
# `accelerate launch --config_file axolotl_configs/accelerate/2gpu.yaml -m axolotl.cli.train axolotl_configs/fsdp/NAME.yml`.
# Plain DDP needs no recipe change: the same launcher on the single-GPU YAML.
FSDP = {
    "fsdp_version": 2,
    "fsdp_config": {"offload_params": False, "cpu_ram_efficient_loading": False,
                    "auto_wrap_policy": "TRANSFORMER_BASED_WRAP", "transformer_layer_cls_to_wrap": "MistralDecoderLayer",
                    "state_dict_type": "FULL_STATE_DICT", "reshard_after_forward": True},
    "optimizer": "adamw_torch_fused",
    "activation_offloading": None,  # not measured under FSDP2: the fsdp/ variants keep plain checkpointing
}
FSDP_COMMENTS = {"fsdp_version": "FSDP2: axolotl shards the 4-bit base per decoder layer (FSDP1 rejects the LoRA kernels)",
                 "fsdp_config": "cpu_ram_efficient_loading must stay off with a 4-bit base (axolotl: rank-0 quantisation deadlocks)",
                 "optimizer": "bitsandbytes' 8-bit optimizers and FSDP2 do not mix (axolotl); LoRA state is small"}


# The experiment's repeats (more training seeds, LoRA dropout 0) are not recipes: `python -m experiment.grid --seeds
# 43 44 --repeat gemma3-270m-code-r32:lora_dropout=0` makes them at run time (RESULTS/recipes/NAME.yml).


def matrix() -> dict[str, tuple[dict, list[str], dict]]:
    """name (a path under axolotl_configs/, no .yml) -> (config, header comments, per-key comments)."""
    out = {}
    for model, model_over in MODELS.items():
        profiles = PROFILES if model == "mistral7b" else {"full": {}}
        ranks = RANKS if model != "tiny-mistral" else (8,)
        for profile, prof_over in profiles.items():
            for variant in VARIANTS:
                for r in ranks:
                    cfg = {**BASE, **model_over, **prof_over, "lora_r": r, "lora_alpha": 2 * r}
                    cfg["datasets"] = [{"path": f"{DATA}/{variant}/train.jsonl", "ds_type": "json", "type": "alpaca"}]
                    cfg["test_datasets"] = [{"path": f"{DATA}/{variant}/validation.jsonl", "ds_type": "json",
                                             "split": "train", "type": "alpaca"}]
                    name = f"{model}-{variant}-r{r}" + ("" if profile == "full" else f"-{profile}")
                    cfg["dataset_prepared_path"] = f"outputs/prepared/{model}-{variant}"
                    cfg["output_dir"] = f"outputs/adapters/{name}"
                    first = ["base_model", "model_type", "tokenizer_type", "adapter", "load_in_4bit", "lora_r", "lora_alpha"]
                    cfg = {k: cfg[k] for k in first + [k for k in cfg if k not in first] if cfg.get(k) is not None}
                    header = [f"{name}: {model} {cfg['adapter'].upper()}, rank {r}, `{variant}` data, profile `{profile}`.",
                              "Generated by `python -m axolotl_configs.recipes` from the matrix in recipes.py; do not edit.",
                              f"Run: accelerate launch -m axolotl.cli.train axolotl_configs/{name}.yml"]
                    if profile in PROFILE_COMMENTS:
                        header.append(PROFILE_COMMENTS[profile])
                    comments = {k: c for k, c in COMMENTS.items() if cfg.get(k) == BASE.get(k) or k == "lora_alpha"}
                    comments.update(MODEL_COMMENTS.get(model, {}))
                    comments.update(PROFILE_KEY_COMMENTS.get(profile, {}) if model == "mistral7b" else {})
                    out[name] = (cfg, header, comments)
                    if model == "mistral7b" and profile == "full":
                        fsdp = {k: v for k, v in {**cfg, **FSDP, "output_dir": f"outputs/adapters/{name}-fsdp"}.items()
                                if v is not None}
                        out[f"fsdp/{name}"] = (fsdp, [
                            f"{name} for several GPUs: data-parallel QLoRA with FSDP2 (micro-batch per GPU as in {name}).",
                            header[1],
                            f"Run: accelerate launch --config_file axolotl_configs/accelerate/2gpu.yaml -m axolotl.cli.train "
                            f"axolotl_configs/fsdp/{name}.yml"], {**comments, **FSDP_COMMENTS})
    return out


def render(cfg: dict, header: list[str], comments: dict) -> str:
    lines = [f"# {h}" for h in header] + [""]
    for key, value in cfg.items():
        text = yaml.safe_dump({key: value}, sort_keys=False, default_flow_style=False).rstrip("\n")
        if key in comments:
            text = f"# {comments[key]}\n{text}"
        lines.append(text)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    wanted = {f"{name}.yml": render(*spec) for name, spec in matrix().items()}
    return cli(argv, __doc__, HERE, wanted, "python -m axolotl_configs.recipes", noun="recipes", orphans="**/*.yml")


if __name__ == "__main__":
    sys.exit(main())
