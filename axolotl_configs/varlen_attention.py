"""Packed rows attend on torch's flash varlen kernel: an Axolotl plugin of the recipes.

The recipes pack several documents into each 2048-token row; the position ids restart at 0 where a document starts.
Stock SDPA keeps the documents apart with a dense block-diagonal mask, so it computes every (query, key) pair of the
row and throws most away. This module registers an attention function with Transformers' AttentionInterface,
``codelora_varlen``, that turns the restarting position ids into cu_seqlens (each document's start in the flattened
batch) and calls the flash kernel PyTorch ships (``torch.ops.aten._flash_attention_forward`` / ``_backward``, which
take grouped-query K/V heads as they are), so only the pairs inside each document are computed. No new dependency.

Where that kernel cannot run (no CUDA, fp32, a 2D padding mask, dropout, a KV cache, head_dim > 256) it falls back
to SDPA with the block-diagonal mask built from the same position ids: the same function, computed densely.

Enable it in a recipe with the plugin (the attention stays ``sdp_attention: true`` for Axolotl, which then drops
the padding mask of packed rows and hands over the position ids; the plugin switches the built model to this
function):

    plugins:
      - axolotl_configs.varlen_attention.VarlenAttentionPlugin
"""
from __future__ import annotations

import functools

import torch
import torch.nn.functional as F

NAME = "codelora_varlen"
MAX_HEAD_DIM = 256  # the flash kernel's limit


def document_starts(position_ids: torch.Tensor) -> torch.Tensor:
    """Bool mask (B, S): True where a document starts (its position id is 0, or a row begins)."""
    pid = position_ids if position_ids.dim() > 1 else position_ids[None]
    starts = pid == 0
    starts[:, 0] = True
    return starts


def cu_seqlens_from_position_ids(position_ids: torch.Tensor) -> tuple[torch.Tensor, int]:
    """(cu_seqlens int32 of the batch flattened row after row, the longest document's length) from restarting
    position ids: [0, 3, 5, 8] for one row with positions [0 1 2 0 1 0 1 2]."""
    starts = document_starts(position_ids).reshape(-1)
    first = torch.nonzero(starts).reshape(-1)
    total = torch.tensor([starts.numel()], device=first.device, dtype=first.dtype)
    cu = torch.cat([first, total]).to(torch.int32)
    return cu, int((cu[1:] - cu[:-1]).max())


def block_causal_mask(position_ids: torch.Tensor, sliding_window: int | None = None) -> torch.Tensor:
    """Bool (B, 1, S, S), True = attend: causal within each document, nothing across documents."""
    starts = document_starts(position_ids)
    doc = starts.cumsum(-1)
    n = doc.shape[-1]
    idx = torch.arange(n, device=doc.device)
    keep = (doc[:, :, None] == doc[:, None, :]) & (idx[:, None] >= idx[None, :])
    if sliding_window:
        keep &= (idx[:, None] - idx[None, :]) < sliding_window
    return keep[:, None]


class _Documents:
    """cu_seqlens of the position ids seen last: every layer of a forward (and its recomputation under gradient
    checkpointing) gets the same tensor, so the device-to-host read of the longest document happens once."""
    key: torch.Tensor | None = None  # held, so its storage cannot be reused by other ids while cached
    version = -1
    value: tuple[torch.Tensor, int] | None = None

    @classmethod
    def of(cls, position_ids: torch.Tensor) -> tuple[torch.Tensor, int]:
        if cls.key is not position_ids or cls.key._version != cls.version:
            cls.key, cls.version = position_ids, position_ids._version
            cls.value = cu_seqlens_from_position_ids(position_ids)
        return cls.value


class _FlashVarlen(torch.autograd.Function):
    """torch's flash kernel over documents laid end to end: q (T, Hq, D), k / v (T, Hkv, D), Hkv dividing Hq."""

    @staticmethod
    def forward(ctx, q, k, v, cu, max_len, scale, left):
        out, lse, seed, offset, _ = torch.ops.aten._flash_attention_forward(
            q, k, v, cu, cu, max_len, max_len, 0.0, True, False, scale=scale, window_size_left=left,
            window_size_right=0 if left is not None else None)
        ctx.save_for_backward(q, k, v, cu, out, lse, seed, offset)
        ctx.max_len, ctx.scale, ctx.left = max_len, scale, left
        return out

    @staticmethod
    def backward(ctx, grad):
        q, k, v, cu, out, lse, seed, offset = ctx.saved_tensors
        dq, dk, dv = torch.ops.aten._flash_attention_backward(
            grad.contiguous(), q, k, v, out, lse, cu, cu, ctx.max_len, ctx.max_len, 0.0, True, seed, offset,
            scale=ctx.scale, window_size_left=ctx.left, window_size_right=0 if ctx.left is not None else None)
        return dq, dk, dv, None, None, None, None


def flash_usable(query: torch.Tensor, key: torch.Tensor, attention_mask, dropout: float) -> bool:
    return (query.is_cuda and query.dtype in (torch.float16, torch.bfloat16) and attention_mask is None
            and not dropout and query.shape[-1] <= MAX_HEAD_DIM and query.shape[-1] % 8 == 0
            and query.shape[2] == key.shape[2] and query.shape[1] % key.shape[1] == 0
            and torch.backends.cuda.is_flash_attention_available() and _ampere_or_newer(query.device))


@functools.lru_cache(maxsize=None)
def _ampere_or_newer(device: torch.device) -> bool:
    return torch.cuda.get_device_capability(device)[0] >= 8  # the flash kernel's floor (a T4 takes the fallback)


def varlen_attention_forward(module, query, key, value, attention_mask, dropout: float = 0.0,
                             scaling: float | None = None, sliding_window: int | None = None,
                             position_ids: torch.Tensor | None = None, **kwargs):
    """Transformers' attention-function contract: query (B, Hq, S, D), key / value (B, Hkv, S, D) ->
    ((B, S, Hq, D), None). Documents come from the restarting position ids."""
    if position_ids is None or not flash_usable(query, key, attention_mask, dropout):
        return _sdpa(module, query, key, value, attention_mask, dropout, scaling, sliding_window, position_ids)
    b, hq, s, d = query.shape
    if position_ids.shape[-1] != s:
        return _sdpa(module, query, key, value, attention_mask, dropout, scaling, sliding_window, position_ids)
    cu, longest = _Documents.of(position_ids.expand(b, s) if position_ids.numel() != b * s else position_ids)
    left = sliding_window - 1 if sliding_window and sliding_window < longest else None
    q, k, v = (x.transpose(1, 2).reshape(b * s, x.shape[1], d) for x in (query, key, value))
    out = _FlashVarlen.apply(q, k, v, cu, longest, scaling, left)
    return out.reshape(b, s, hq, d), None


def _sdpa(module, query, key, value, attention_mask, dropout, scaling, sliding_window, position_ids):
    """SDPA with the documents kept apart by a mask from the position ids (where no mask came with the call)."""
    q_len, k_len = query.shape[2], key.shape[2]
    if attention_mask is None and position_ids is not None and q_len == k_len and q_len > 1:
        attention_mask = block_causal_mask(position_ids, sliding_window)
    if key.shape[1] != query.shape[1]:
        groups = query.shape[1] // key.shape[1]
        key, value = key.repeat_interleave(groups, 1), value.repeat_interleave(groups, 1)
    if attention_mask is not None and attention_mask.dim() == 4:
        attention_mask = attention_mask[:, :, :, :k_len]
    causal = attention_mask is None and q_len > 1
    out = F.scaled_dot_product_attention(query, key, value, attn_mask=attention_mask, dropout_p=dropout,
                                         scale=scaling, is_causal=causal)
    return out.transpose(1, 2).contiguous(), None


def varlen_mask(*args, **kwargs):
    """The mask builder for this function: none where Axolotl dropped the padding mask of packed rows (the
    documents come from the position ids), else SDPA's (a padded batch then takes the SDPA fallback)."""
    from transformers.masking_utils import sdpa_mask

    if kwargs.get("attention_mask") is None:
        return None
    return sdpa_mask(*args, **kwargs)


def register() -> str:
    """Register the function (and its mask builder) with Transformers under NAME; returns NAME."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface

    AttentionInterface.register(NAME, varlen_attention_forward)
    AttentionMaskInterface.register(NAME, varlen_mask)
    return NAME


try:
    from axolotl.integrations.base import BasePlugin
except ImportError:  # the attention function works without Axolotl
    BasePlugin = object


class VarlenAttentionPlugin(BasePlugin):
    """Registers ``codelora_varlen`` and switches the built model to it (before the adapters are added)."""

    def register(self, cfg: dict):
        register()

    def post_model_build(self, cfg, model):
        register()
        model.set_attn_implementation(NAME)
