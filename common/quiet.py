"""Library log lines that tell a user of this project nothing, dropped by the entry points that call
`quiet_libraries()` first (not at import: a library user keeps every message). Each is matched by its logger and
its text, so any other warning of the same library still shows."""
from __future__ import annotations

import logging

NOISE = {
    # torchao's optional CUDA kernels (`_C_mxfp8`, `_C_cutlass_90a`) on a machine without them
    "torchao": "Failed to load ",
    # torchao registering its Enums with an older torch.compile API
    "torch.utils._pytree": "is an Enum subclass and is now natively supported",
    # bitsandbytes asking the (unreachable) hub for an optional CPU kernel
    "bitsandbytes.backends.cpu.ops": "Failed to load CPU gemm_4bit_forward",
}


class _Drop(logging.Filter):
    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def filter(self, record: logging.LogRecord) -> bool:
        return self.text not in record.getMessage()


def quiet_libraries() -> None:
    """Drop the NOISE lines (idempotent); call before the libraries are imported."""
    for name, text in NOISE.items():
        logger = logging.getLogger(name)
        if not any(isinstance(f, _Drop) and f.text == text for f in logger.filters):
            logger.addFilter(_Drop(text))
