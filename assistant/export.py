"""python -m assistant.export --base MODEL [--adapter DIR] --out DIR [--quant f16 q8_0 q4_k_m]

Merge a LoRA adapter into its base and export what llama.cpp and Ollama run:

  OUT/hf/                   the merged Hugging Face folder (weights in --dtype, the tokenizer)
  OUT/model-f16.gguf        llama.cpp's own converter (convert_hf_to_gguf.py) on that folder
  OUT/model-q8_0.gguf ...   llama.cpp's quantiser on the f16 file
  OUT/Modelfile             for `ollama create NAME -f OUT/Modelfile`: the Alpaca prompt the adapters are trained
                            on, their stop strings, temperature 0
  OUT/manifest.json         inputs, versions, and every file's sha256
  OUT/export.log            what the loader, the converter and the quantiser printed

Each GGUF says what it is, as llama.cpp and Ollama users expect: `general.name` is the base model's name (the
adapter's folder name for a merged adapter, with the base under `general.base_model.0.name`); the tokenizer
fields are those of the base model's own GGUF when BASE/tokenizer.gguf is there (`model_builders.gemma_gguf`
writes it; else `--tokenizer-gguf`, else llama.cpp's converter reads the tokenizer of BASE); and
`tokenizer.chat_template` renders the Alpaca prompt, so a chat client (`/v1/chat/completions`, `llama-cli -cnv`,
`ollama run`) sends the model the prompt it was trained on.

The tokenizer, measured (reports/quantisation.md): for the Gemma folder the base GGUF's own tokenizer (`llama` /
`default`, the default) splits the indentation before a docstring unlike the Transformers tokenizer the adapters
were trained with: all 164 HumanEval prompts and 6 of the other 1,054 benchmark prompts
(`benchmarks/gguf_tokenizer_agreement.py`). `--tokenizer-gguf none` keeps llama.cpp's converter's reading of
BASE's tokenizer.json instead, which splits every one as Transformers does but names its pre-tokenizer
`granite-embed-multi-311m` (the converter's hash match, an IBM embedding model), and a llama.cpp build that does
not know a pre-tokenizer name refuses the file. The default stays the base GGUF's: graded on the full sets as
q8_0 of gemma3-270m-code-r8, the two wrote byte-identical answers wherever the prompts split alike (892 of 892
paired documents), and where they split otherwise the base GGUF's tokenizer passed 5 documents the converter's
failed and none the other way (HumanEval 8/164 against 3/164; p = 0.06, within noise): no measured loss, and the
tokenizer fields of the base model's own GGUF, which any llama.cpp build that runs that GGUF reads.

The base is always loaded in --dtype (bf16 by default), never 4-bit: a QLoRA adapter is merged onto the
dequantised base, as its training computed base @ x in bf16. Without --adapter the base alone is exported.
An adapter is checked against the base before merging (every LoRA module must exist there with matching
shapes); a base of the same architecture but other weights cannot be told apart and merges without error.
Paths are checked before anything loads; a failed export leaves nothing in OUT (its log is kept in the temporary
folder the error names)."""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common.hashing import sha256_file
from evaluation.run_key import weights_sha256
from common.prompts import ALPACA_SYSTEM_NO_INPUT, alpaca_prompt

from . import gguf_metadata, llama_cpp_tools
from common.quiet import quiet_libraries


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
# what the export writes beyond its inputs: bumped when that changes, so --reuse re-exports older folders
# (2: the base GGUF's tokenizer, the names, the chat template)
EXPORT_VERSION = 2


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
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_from))
    tokenizer.chat_template = gguf_metadata.chat_template()
    tokenizer.save_pretrained(out)
    return out


def convert(hf: Path, gguf: Path, converter: Path, log: Path) -> Path:
    cmd = [sys.executable, str(converter), str(hf), "--outfile", str(gguf), "--outtype", "f16"]
    with open(log, "a") as fh:
        fh.write(f"+ {' '.join(cmd)}\n")
        fh.flush()
        done = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT)
    if done.returncode or not gguf.is_file():
        tail = log.read_text()[-1500:]
        raise RuntimeError(f"llama.cpp's converter failed on {hf}:\n{tail}")
    return gguf


@contextlib.contextmanager
def output_to(log: Path):
    """Everything written to stdout and stderr, by Python or by C (llama.cpp's quantiser), appended to `log`."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(log, "a") as fh:
        os.dup2(fh.fileno(), 1)
        os.dup2(fh.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def modelfile(gguf_name: str) -> str:
    """Ollama's Go template for the same prompt as the GGUF's chat template: the Alpaca preamble as the default
    SYSTEM (a system message replaces it), then the instruction and `### Response:`."""
    head, _, tail = alpaca_prompt("\0").partition("\0")

    template = "{{ .System }}" + head.removeprefix(ALPACA_SYSTEM_NO_INPUT) + "{{ .Prompt }}" + tail + "{{ .Response }}"
    stops = "".join(f'PARAMETER stop "{s.lstrip()}"\n' for s in STOPS)  # a Modelfile string holds no newline
    return (f"# ollama create NAME -f Modelfile (llama.cpp adds <bos> as the GGUF says)\nFROM ./{gguf_name}\n"
            f'SYSTEM """{ALPACA_SYSTEM_NO_INPUT}"""\nTEMPLATE """{template}"""\n{stops}PARAMETER temperature 0\n')


def check_base(base: str) -> None:
    """A local --base is a Hugging Face folder; anything else must be a model on the hub, asked before any work."""
    path = Path(base).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"{path / 'config.json'}: missing (--base is a Hugging Face folder or hub id)")
        return
    try:
        from huggingface_hub import model_info

        model_info(base, timeout=10)
    except Exception as e:  # noqa: BLE001 - offline, no such repo, or not a valid id: all say the same to the user
        why = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        raise FileNotFoundError(f"--base {base}: no such folder, and not a model the Hugging Face hub serves ({why})") from None


def names(base: str, adapter: Path | None, tokenizer: Path | None) -> tuple[str, str | None]:
    """general.name and the base model's name (for an adapter): the base's own GGUF name where there is one."""
    base_name = Path(base.rstrip("/")).name
    if tokenizer:
        base_name = gguf_metadata.value(tokenizer, "general.name") or base_name
    return (adapter.name, base_name) if adapter else (base_name, None)


def export(base: str, adapter: str | Path | None, out: str | Path, quants=("f16", "q8_0", "q4_k_m"),
           dtype: str = "bfloat16", converter: str | Path | None = None, keep_hf: bool = True,
           tokenizer_gguf: str | Path | None = None) -> dict:
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
    check_base(base)
    if tokenizer_gguf is None and (Path(base) / gguf_metadata.TOKENIZER_GGUF).is_file():
        tokenizer_gguf = Path(base) / gguf_metadata.TOKENIZER_GGUF
    if str(tokenizer_gguf) == "none":  # keep what the converter made of BASE's tokenizer.json
        tokenizer_gguf = None
    if tokenizer_gguf is not None and not Path(tokenizer_gguf).is_file():
        raise FileNotFoundError(f"--tokenizer-gguf {tokenizer_gguf}: no such file")
    tokenizer_gguf = Path(tokenizer_gguf) if tokenizer_gguf else None
    name, base_name = names(base, adapter, tokenizer_gguf)
    script = llama_cpp_tools.converter(converter)
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    log = stage / "export.log"
    hf, f16 = stage / "hf", stage / "model-f16.gguf"
    steps = ["merge" if adapter else "save base", "convert to GGUF f16", "write GGUF metadata",
             *[f"quantise {q}" for q in quants if q != "f16"]]
    terminal = os.fdopen(os.dup(2), "w")  # the bar stays on the terminal while the steps' output goes to the log
    bar = tqdm(steps, desc="export", unit="step", file=terminal)
    try:
        for step in bar:
            bar.set_postfix_str(step)
            with output_to(log):
                if step in ("merge", "save base"):
                    merge(base, adapter, hf, dtype)
                elif step.startswith("convert"):
                    convert(hf, stage / "converted.gguf", script, log)
                elif step.startswith("write"):
                    gguf_metadata.rewrite(stage / "converted.gguf", f16, name, base_name, tokenizer_gguf,
                                          gguf_metadata.chat_template())
                    (stage / "converted.gguf").unlink()
                else:
                    quant = step.split()[-1]
                    llama_cpp_tools.quantise(f16, stage / f"model-{quant}.gguf", quant)
        bar.close()
    except BaseException as e:
        bar.close()
        kept = Path(tempfile.gettempdir()) / f"codelora-export-{out.name}.log"
        if log.is_file():
            shutil.move(log, kept)
        shutil.rmtree(stage, ignore_errors=True)
        if isinstance(e, Exception):
            raise RuntimeError(f"{e} (nothing written to {out}; the full log: {kept})") from e
        raise
    finally:
        terminal.close()
    if "f16" not in quants:
        f16.unlink()
    ggufs = [f"model-{q}.gguf" for q in quants]
    smallest = min(ggufs, key=lambda n: (stage / n).stat().st_size)
    (stage / "Modelfile").write_text(modelfile(smallest))
    manifest = {
        "base": base, "adapter": str(adapter) if adapter else None,
        "adapter_sha256": sha256_file(adapter / "adapter_model.safetensors") if adapter else None,
        "export_version": EXPORT_VERSION, "base_sha256": weights_sha256(base),
        "general_name": name, "tokenizer_gguf": str(tokenizer_gguf) if tokenizer_gguf else None,
        "merge_dtype": dtype, "llama_cpp_python": llama_cpp_tools.llama_cpp().__version__,
        "converter": str(script), "converter_sha256": sha256_file(script),
        "files": {n: {"sha256": sha256_file(stage / n), "bytes": (stage / n).stat().st_size}
                  for n in [*ggufs, "Modelfile"]},
    }
    if not keep_hf:
        shutil.rmtree(hf)
    (stage / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    out.mkdir(exist_ok=True)
    for item in stage.iterdir():  # into OUT only now that every step worked
        target = out / item.name
        if target.is_dir():
            shutil.rmtree(target)
        item.replace(target)
    stage.rmdir()
    return manifest


def up_to_date(base: str, adapter: str | Path | None, out: str | Path, quants) -> bool:
    """OUT holds an export of these very weights (the sha256 of the base's and the adapter's weight files), by this
    version of the export, with every GGUF asked for."""
    try:
        manifest = json.loads((Path(out) / "manifest.json").read_text())
    except (OSError, ValueError):
        return False
    adapter_sha = sha256_file(Path(adapter) / "adapter_model.safetensors") if adapter else None
    return (manifest.get("export_version") == EXPORT_VERSION and manifest.get("base_sha256") == weights_sha256(base)
            and manifest.get("adapter_sha256") == adapter_sha
            and all((Path(out) / f"model-{q}.gguf").is_file() and f"model-{q}.gguf" in manifest["files"] for q in quants))


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
    p.add_argument("--tokenizer-gguf", help="a GGUF of the base model whose tokenizer fields the export keeps "
                                            "(default: BASE/tokenizer.gguf where it exists, the base GGUF's own "
                                            "tokenizer; `none`: the converter's reading of BASE's tokenizer.json, "
                                            "which for the Gemma folder splits every benchmark prompt as "
                                            "Transformers did in training but carries a pre-tokenizer name other "
                                            "llama.cpp builds may refuse; graded side by side, the default lost "
                                            "nothing: see above and reports/quantisation.md)")
    p.add_argument("--no-hf", action="store_true", help="delete OUT/hf after converting")
    p.add_argument("--reuse", action="store_true", help="do nothing when OUT already holds this export of the same "
                                                        "weights (manifest.json: their sha256 and the export version)")
    a = p.parse_args(argv)
    quiet_libraries()
    if a.reuse and up_to_date(a.base, a.adapter, a.out, a.quant):
        print(f"{a.out}: up to date (same weights, same export)", file=sys.stderr)
        return 0
    try:
        manifest = export(a.base, a.adapter, a.out, a.quant, a.dtype, a.converter, keep_hf=not a.no_hf,
                          tokenizer_gguf=a.tokenizer_gguf)
    except (AdapterMismatch, FileNotFoundError, RuntimeError, ValueError) as e:
        print(f"assistant.export: {e}", file=sys.stderr)
        return 2
    for name, info in manifest["files"].items():
        print(f"{Path(a.out) / name}  {info['bytes'] / 2**20:.1f} MiB  sha256 {info['sha256']}")
    print(f"log: {Path(a.out) / 'export.log'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
