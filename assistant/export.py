"""python -m assistant.export --base MODEL [--adapter DIR] --out DIR [--quant f16 q8_0 q4_k_m]

Merge a LoRA adapter into its base and export what llama.cpp and Ollama run:

  OUT/hf/                   the merged Hugging Face folder (weights in --dtype, the tokenizer)
  OUT/model-f16.gguf        llama.cpp's own converter (convert_hf_to_gguf.py) on that folder
  OUT/model-q8_0.gguf ...   llama.cpp's quantiser on the f16 file
  OUT/Modelfile             for `ollama create NAME -f OUT/Modelfile`: the Alpaca prompt the adapters are trained
                            on, their stop strings, temperature 0
  OUT/manifest.json         inputs, versions, and every file's sha256

The base is always loaded in --dtype (bf16 by default), never 4-bit: a QLoRA adapter is merged onto the
dequantised base, as its training computed base @ x in bf16. Without --adapter the base alone is exported.
An adapter is checked against the base before merging (every LoRA module must exist there with matching
shapes); a base of the same architecture but other weights cannot be told apart and merges without error."""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

from common.hashing import sha256_file
from common.prompts import alpaca_prompt

from . import llama_cpp_tools


def alpaca_stops() -> tuple[str, ...]:
    """The stop strings of the Alpaca-prompt tasks (`lm_eval_tasks/_alpaca_yaml`), which the adapters are graded with."""
    import yaml

    import lm_eval_tasks

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!function", lambda loader, node: None)
    template = yaml.load((Path(lm_eval_tasks.__file__).parent / "_alpaca_yaml").read_text(), Loader=Loader)
    return tuple(template["generation_kwargs"]["until"])


STOPS = alpaca_stops()


class AdapterMismatch(ValueError):
    pass


def check_adapter(model, adapter: Path) -> None:
    """Every tensor of the adapter names a module of `model` whose in/out features match its LoRA shapes (or, for
    `modules_to_save`, a parameter of the same shape)."""
    from safetensors import safe_open

    modules, params = dict(model.named_modules()), dict(model.named_parameters())
    with safe_open(adapter / "adapter_model.safetensors", "pt") as f:
        for key in f.keys():
            name = key.removeprefix("base_model.model.")
            shape = list(f.get_slice(key).get_shape())
            if ".lora_" not in name:
                if name not in params or list(params[name].shape) != shape:
                    found = list(params[name].shape) if name in params else "no such parameter"
                    raise AdapterMismatch(f"{adapter}: tensor {key} {shape} does not fit the base ({found})")
                continue
            target, _, kind = name.partition(".lora_")
            module = modules.get(target)
            if module is None:
                raise AdapterMismatch(f"{adapter}: tensor {key} is for module {target}, which the base does not have")
            want = {"A.weight": ("in_features", 1), "B.weight": ("out_features", 0)}.get(kind)
            if want and getattr(module, want[0], shape[want[1]]) != shape[want[1]]:
                raise AdapterMismatch(f"{adapter}: tensor {key} has shape {shape}, but the base's {target} has "
                                      f"{want[0]}={getattr(module, want[0])}")


def merge(base: str, adapter: Path | None, out: Path, dtype: str = "bfloat16") -> Path:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(base, dtype=getattr(torch, dtype))
    if adapter is not None:
        from peft import PeftModel

        check_adapter(model, adapter)
        model = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    model.save_pretrained(out)
    tokenizer_from = adapter if adapter is not None and (adapter / "tokenizer_config.json").is_file() else base
    AutoTokenizer.from_pretrained(str(tokenizer_from)).save_pretrained(out)
    return out


def convert(hf: Path, gguf: Path, converter: Path, log: Path) -> Path:
    cmd = [sys.executable, str(converter), str(hf), "--outfile", str(gguf), "--outtype", "f16"]
    with open(log, "w") as fh:
        done = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT)
    if done.returncode or not gguf.is_file():
        tail = log.read_text()[-1500:]
        raise RuntimeError(f"llama.cpp's converter failed on {hf} (log {log}):\n{tail}")
    return gguf


def modelfile(gguf_name: str) -> str:
    template = alpaca_prompt("{{ .Prompt }}")
    stops = "".join(f'PARAMETER stop "{s.lstrip()}"\n' for s in STOPS)  # a Modelfile string holds no newline
    return (f"# ollama create NAME -f Modelfile (llama.cpp adds <bos> as the GGUF says)\nFROM ./{gguf_name}\n"
            f'TEMPLATE """{template}"""\n{stops}PARAMETER temperature 0\n')


def export(base: str, adapter: str | Path | None, out: str | Path, quants=("f16", "q8_0", "q4_k_m"),
           dtype: str = "bfloat16", converter: str | Path | None = None, keep_hf: bool = True) -> dict:
    from tqdm import tqdm

    out = Path(out)
    adapter = Path(adapter) if adapter else None
    unknown = [q for q in quants if q not in llama_cpp_tools.QUANTS]
    if unknown:
        raise ValueError(f"unknown --quant {unknown}; choose from {list(llama_cpp_tools.QUANTS)}")
    if adapter is not None:
        for name in ("adapter_config.json", "adapter_model.safetensors"):
            if not (adapter / name).is_file():
                raise FileNotFoundError(f"{adapter / name}: missing (an adapter folder as PEFT saves it)")
    if Path(base).exists() and not (Path(base) / "config.json").is_file():
        raise FileNotFoundError(f"{Path(base) / 'config.json'}: missing (--base is a Hugging Face folder or hub id)")
    script = llama_cpp_tools.converter(converter)
    out.mkdir(parents=True, exist_ok=True)
    hf, f16 = out / "hf", out / "model-f16.gguf"
    steps = ["merge" if adapter else "save base", "convert to GGUF f16", *[f"quantise {q}" for q in quants if q != "f16"]]
    bar = tqdm(steps, desc="export", unit="step", file=sys.stderr)
    for step in bar:
        bar.set_postfix_str(step)
        if step in ("merge", "save base"):
            merge(base, adapter, hf, dtype)
        elif step.startswith("convert"):
            convert(hf, f16, script, out / "convert.log")
        else:
            quant = step.split()[-1]
            llama_cpp_tools.quantise(f16, out / f"model-{quant}.gguf", quant)
    ggufs = [out / f"model-{q}.gguf" for q in quants]
    if "f16" not in quants:
        f16.unlink()
    smallest = min(ggufs, key=lambda p: p.stat().st_size)
    (out / "Modelfile").write_text(modelfile(smallest.name))
    manifest = {
        "base": base, "adapter": str(adapter) if adapter else None,
        "adapter_sha256": sha256_file(adapter / "adapter_model.safetensors") if adapter else None,
        "merge_dtype": dtype, "llama_cpp_python": llama_cpp_tools.llama_cpp().__version__,
        "converter": str(script), "converter_sha256": sha256_file(script),
        "files": {p.name: {"sha256": sha256_file(p), "bytes": p.stat().st_size} for p in [*ggufs, out / "Modelfile"]},
    }
    if not keep_hf:
        shutil.rmtree(hf)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m assistant.export", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", required=True, help="the adapter's base model: a Hugging Face folder or hub id")
    p.add_argument("--adapter", help="a PEFT LoRA adapter folder (omit to export the base alone)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--quant", nargs="+", default=["f16", "q8_0", "q4_k_m"], choices=list(llama_cpp_tools.QUANTS),
                   help="GGUF files to write (default: all three)")
    p.add_argument("--dtype", default="bfloat16", choices=["bfloat16", "float16", "float32"],
                   help="precision the base is loaded and merged in (default bfloat16)")
    p.add_argument("--converter", help="convert_hf_to_gguf.py to use (default: the one of the installed "
                                       "llama-cpp-python's version, fetched once from PyPI)")
    p.add_argument("--no-hf", action="store_true", help="delete OUT/hf after converting")
    a = p.parse_args(argv)
    try:
        manifest = export(a.base, a.adapter, a.out, a.quant, a.dtype, a.converter, keep_hf=not a.no_hf)
    except (AdapterMismatch, FileNotFoundError, RuntimeError, ValueError) as e:
        print(f"assistant.export: {e}", file=sys.stderr)
        return 2
    for name, info in manifest["files"].items():
        print(f"{Path(a.out) / name}  {info['bytes'] / 2**20:.1f} MiB  sha256 {info['sha256']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
