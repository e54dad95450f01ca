"""GGUF files read and rewritten field by field: a model's name, its tokenizer, its chat template. llama.cpp's
converter guesses the tokenizer from `tokenizer.json` (for the Gemma folder that `model_builders.gemma_gguf`
writes it guesses `gpt2` / `granite-embed-multi-311m`) and names the model after its folder (`hf` -> "Hf");
`rewrite` copies a converted file with these fields set instead.

`tokenizer.gguf` beside a base model's weights (TOKENIZER_GGUF) is a GGUF with no tensors that keeps the
`tokenizer.ggml.*` (and `general.*`) fields of the GGUF the base came from; `model_builders.gemma_gguf` writes it,
`assistant.export` uses it when it is there."""
from __future__ import annotations

import mmap
import shutil
import struct
from pathlib import Path

TOKENIZER_GGUF = "tokenizer.gguf"

# GGUF v3 (ggml/docs/gguf.md): little-endian header, key-value fields, tensor infos, padding, tensor data. The
# fields are parsed here (gguf.GGUFReader takes ~30 s on Gemma's 262k-token vocabulary) and kept as raw bytes, so
# a rewrite copies every field it keeps and the tensor data unchanged.
_SCALAR = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
STRING, ARRAY, UINT32 = 8, 9, 4


class Gguf:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        with open(self.path, "rb") as fh:
            buf = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        magic, version, n_tensors, n_kv = struct.unpack_from("<4sIQQ", buf, 0)
        if magic != b"GGUF" or version != 3:
            raise ValueError(f"{path}: not a GGUF v3 file")
        self.fields: dict[str, tuple[int, bytes, int]] = {}  # key -> (type, the whole raw entry, value offset)
        pos = 24
        for _ in range(n_kv):
            start = pos
            key, pos = _string(buf, pos)
            (vtype,) = struct.unpack_from("<I", buf, pos)
            end = _skip(buf, pos + 4, vtype)
            self.fields[key] = (vtype, bytes(buf[start:end]), pos + 4)
            pos = end
        self._buf, info_start, self.tensors = buf, pos, {}
        for _ in range(n_tensors):
            name, pos = _string(buf, pos)
            (n_dims,) = struct.unpack_from("<I", buf, pos)
            self.tensors[name] = struct.unpack_from(f"<{n_dims}Q", buf, pos + 4)
            pos += 4 + 8 * n_dims + 12
        self.tensor_info = bytes(buf[info_start:pos])
        self.n_tensors = n_tensors
        align = self.value("general.alignment") or 32
        self.data_offset = pos + (-pos) % align

    def value(self, key: str):
        if key not in self.fields:
            return None
        vtype, _, at = self.fields[key]
        return _decode(self._buf, at, vtype)[0]


def _string(buf, pos: int) -> tuple[str, int]:
    (n,) = struct.unpack_from("<Q", buf, pos)
    return bytes(buf[pos + 8:pos + 8 + n]).decode("utf-8"), pos + 8 + n


def _skip(buf, pos: int, vtype: int) -> int:
    if vtype == STRING:
        return pos + 8 + struct.unpack_from("<Q", buf, pos)[0]
    if vtype == ARRAY:
        sub, n = struct.unpack_from("<IQ", buf, pos)
        pos += 12
        if sub in _SCALAR:
            return pos + n * struct.calcsize(_SCALAR[sub])
        for _ in range(n):
            pos = _skip(buf, pos, sub)
        return pos
    return pos + struct.calcsize(_SCALAR[vtype])


def _decode(buf, pos: int, vtype: int):
    if vtype == STRING:
        return _string(buf, pos)
    if vtype == ARRAY:
        sub, n = struct.unpack_from("<IQ", buf, pos)
        pos, out = pos + 12, []
        for _ in range(n):
            v, pos = _decode(buf, pos, sub)
            out.append(v)
        return out, pos
    return struct.unpack_from(_SCALAR[vtype], buf, pos)[0], pos + struct.calcsize(_SCALAR[vtype])


def _entry(key: str, value) -> bytes:
    k = key.encode()
    if isinstance(value, str):
        v = value.encode()
        return struct.pack("<Q", len(k)) + k + struct.pack("<IQ", STRING, len(v)) + v
    return struct.pack("<Q", len(k)) + k + struct.pack("<II", UINT32, value)


def _write(out: Path, entries: list[bytes], n_tensors: int, tensor_info: bytes, source: Gguf | None) -> Path:
    tmp = out.with_name(out.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(struct.pack("<4sIQQ", b"GGUF", 3, n_tensors, len(entries)))
        for e in entries:
            fh.write(e)
        fh.write(tensor_info)
        if source is not None and n_tensors:
            align = source.value("general.alignment") or 32
            fh.write(b"\0" * (-fh.tell() % align))
            with open(source.path, "rb") as src:
                src.seek(source.data_offset)
                shutil.copyfileobj(src, fh, 1 << 24)
    tmp.replace(out)
    return out


def value(path: str | Path, key: str):
    return Gguf(path).value(key)


def write_tokenizer_gguf(source: str | Path, out: str | Path) -> Path:
    """A GGUF without tensors holding `source`'s `general.*` and `tokenizer.*` fields."""
    g = Gguf(source)
    keep = [raw for key, (_, raw, _) in g.fields.items() if key.startswith(("general.", "tokenizer."))
            and key not in ("general.file_type", "general.quantization_version", "general.alignment")]
    return _write(Path(out), keep, 0, b"", None)


def rewrite(source: Path, out: Path, name: str, base_name: str | None = None, tokenizer: Path | None = None,
            template: str | None = None) -> Path:
    """Copy `source` to `out` with `general.name` = name (and the base model's name, for an adapter), every
    `tokenizer.ggml.*` field taken from `tokenizer` (a GGUF of the base model) when given, and the chat template;
    every other field and the tensors as they are."""
    src = Gguf(source)
    new = {"general.name": _entry("general.name", name)}
    if base_name:
        new["general.base_model.count"] = _entry("general.base_model.count", 1)
        new["general.base_model.0.name"] = _entry("general.base_model.0.name", base_name)
    if template:
        new["tokenizer.chat_template"] = _entry("tokenizer.chat_template", template)
    drop = ("general.base_model.", *new)
    if tokenizer:
        tok = Gguf(tokenizer)
        n_tokens = len(tok.value("tokenizer.ggml.tokens"))
        rows = (src.tensors.get("token_embd.weight") or (0, n_tokens))[-1]
        if rows != n_tokens:
            raise ValueError(f"{tokenizer}: {n_tokens} tokens, but the model's token_embd.weight has {rows} rows "
                             "(not this base model's tokenizer)")
        new.update({k: raw for k, (_, raw, _) in tok.fields.items() if k.startswith("tokenizer.ggml.")})
        drop += ("tokenizer.ggml.",)
    kept = [raw for key, (_, raw, _) in src.fields.items() if not key.startswith(drop)]
    return _write(out, kept + list(new.values()), src.n_tensors, src.tensor_info, src)
