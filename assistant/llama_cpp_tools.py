"""Where llama.cpp's converter and quantiser come from: the installed `llama-cpp-python` (the quantiser, through
its C API) and the same version's source distribution on PyPI, which vendors `convert_hf_to_gguf.py` and
`gguf-py` (the wheel does not ship them). The scripts are fetched once into a cache folder."""
from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from common.cache import cache_dir

QUANTS = {"f16": None, "q8_0": "LLAMA_FTYPE_MOSTLY_Q8_0", "q4_k_m": "LLAMA_FTYPE_MOSTLY_Q4_K_M"}
SETUP_HINT = ('install the [serve] extra: CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" '
              'pip install -e ".[serve]" (scripts/setup.sh does this)')


def llama_cpp():
    try:
        import llama_cpp
    except ImportError as e:
        raise RuntimeError(f"llama-cpp-python is not installed ({e}); {SETUP_HINT}") from None
    return llama_cpp


def converter(explicit: str | Path | None = None) -> Path:
    """`convert_hf_to_gguf.py` of the installed llama-cpp-python's vendored llama.cpp (with `gguf-py` beside it)."""
    if explicit or os.environ.get("LLAMA_CPP_CONVERTER"):
        path = Path(explicit or os.environ["LLAMA_CPP_CONVERTER"])
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such converter (convert_hf_to_gguf.py)")
        return path
    version = llama_cpp().__version__
    folder = cache_dir() / f"llama.cpp-{version}"
    script = folder / "convert_hf_to_gguf.py"
    if script.is_file() and (folder / "conversion").is_dir() and (folder / "gguf-py" / "gguf").is_dir():
        return script
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
               f"llama-cpp-python=={version}", "-d", tmp]
        print(f"fetching llama.cpp's converter: {' '.join(cmd[2:])}", file=sys.stderr)
        done = subprocess.run(cmd, capture_output=True, text=True)
        sdists = list(Path(tmp).glob("llama_cpp_python-*.tar.gz"))
        if done.returncode or not sdists:
            raise RuntimeError(f"could not download llama-cpp-python {version}'s source distribution "
                               f"(pass --converter PATH/convert_hf_to_gguf.py instead): {done.stderr[-500:]}")
        extract_converter(sdists[0], folder)
    return script


def extract_converter(sdist: Path, folder: Path) -> None:
    wanted = ("convert_hf_to_gguf.py", "convert_lora_to_gguf.py", "conversion/", "gguf-py/")
    with tarfile.open(sdist) as tar:
        members = []
        for m in tar.getmembers():
            rel = m.name.split("/vendor/llama.cpp/", 1)
            if len(rel) == 2 and rel[1].startswith(wanted) and (m.isfile() or m.isdir()):
                m.name = rel[1]
                members.append(m)
        if not any(m.name == "convert_hf_to_gguf.py" for m in members):
            raise RuntimeError(f"{sdist}: no vendor/llama.cpp/convert_hf_to_gguf.py inside")
        folder.mkdir(parents=True, exist_ok=True)
        tar.extractall(folder, members=members, filter="data")


def quantise(source: Path, out: Path, quant: str, threads: int | None = None) -> Path:
    """llama.cpp's quantiser (`llama_model_quantize`) from an f16 GGUF to `quant`."""
    lib = llama_cpp()
    params = lib.llama_model_quantize_default_params()
    params.ftype = getattr(lib, QUANTS[quant])
    params.nthread = threads or os.cpu_count() or 1
    rc = lib.llama_model_quantize(str(source).encode(), str(out).encode(), ctypes.byref(params))
    if rc != 0 or not out.is_file():
        raise RuntimeError(f"llama.cpp could not quantise {source} to {quant} (return code {rc})")
    return out
