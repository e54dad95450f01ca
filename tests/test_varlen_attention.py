"""The recipes' packed attention (axolotl_configs/varlen_attention.py) on the CPU: documents from restarting position
ids, the plugin's registration with Transformers, and the fallback that runs where the flash kernel cannot (here: no
CUDA), which must compute what SDPA computes on each document alone. The flash path itself is checked on a GPU by
benchmarks/varlen_parity.py (one step's loss and gradients against masked SDPA)."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
import yaml

from axolotl_configs import varlen_attention as va

ROOT = Path(__file__).resolve().parents[1]
PACKED = torch.tensor([[0, 1, 2, 0, 1, 0, 1, 2], [0, 1, 2, 3, 0, 1, 2, 3]])


def test_cu_seqlens_from_restarting_position_ids():
    cu, longest = va.cu_seqlens_from_position_ids(PACKED)
    assert cu.dtype == torch.int32
    assert cu.tolist() == [0, 3, 5, 8, 12, 16]
    assert longest == 4


def test_a_row_always_starts_a_document():
    # a row whose first id is not 0 (a document cut at the row's start) still may not attend to the row before it
    cu, longest = va.cu_seqlens_from_position_ids(torch.tensor([[0, 1, 2, 3], [4, 5, 0, 1]]))
    assert cu.tolist() == [0, 4, 6, 8] and longest == 4


def test_block_causal_mask_keeps_documents_apart():
    mask = va.block_causal_mask(torch.tensor([[0, 1, 0, 1, 2]]))[0, 0]
    expected = torch.tensor([[1, 0, 0, 0, 0], [1, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 1, 1, 0], [0, 0, 1, 1, 1]],
                            dtype=torch.bool)
    assert torch.equal(mask, expected)
    windowed = va.block_causal_mask(torch.tensor([[0, 1, 2, 3]]), sliding_window=2)[0, 0]
    assert windowed.sum(-1).tolist() == [1, 2, 2, 2]


def _per_document(q, k, v, position_ids):
    """SDPA on each document alone (causal, K/V heads repeated): what packed attention must equal."""
    groups = q.shape[1] // k.shape[1]
    out = torch.empty(q.shape[0], q.shape[2], q.shape[1], q.shape[3], dtype=q.dtype)
    for row in range(q.shape[0]):
        starts = va.document_starts(position_ids[row:row + 1])[0].nonzero().reshape(-1).tolist() + [q.shape[2]]
        for a, b in zip(starts, starts[1:]):
            piece = F.scaled_dot_product_attention(q[row:row + 1, :, a:b], k[row:row + 1, :, a:b].repeat_interleave(groups, 1),
                                                   v[row:row + 1, :, a:b].repeat_interleave(groups, 1), is_causal=True)
            out[row, a:b] = piece[0].transpose(0, 1)
    return out


def test_fallback_without_cuda_equals_sdpa_on_each_document():
    torch.manual_seed(0)
    q = torch.randn(2, 4, 8, 16)
    k, v = torch.randn(2, 2, 8, 16), torch.randn(2, 2, 8, 16)  # grouped-query: 2 K/V heads for 4 query heads
    assert not va.flash_usable(q, k, None, 0.0)  # no CUDA here: the fallback is what runs
    out, weights = va.varlen_attention_forward(None, q, k, v, None, position_ids=PACKED)
    assert weights is None and out.shape == (2, 8, 4, 16)
    torch.testing.assert_close(out, _per_document(q, k, v, PACKED))
    # and it is not plain causal attention over the whole row (the documents really are kept apart)
    whole = F.scaled_dot_product_attention(q, k.repeat_interleave(2, 1), v.repeat_interleave(2, 1), is_causal=True)
    assert not torch.allclose(out, whole.transpose(1, 2), atol=1e-3)


def test_mask_builder_defers_to_sdpa_for_padded_batches():
    assert va.varlen_mask(batch_size=1, q_length=4, kv_length=4, attention_mask=None) is None


def _tiny_mistral():
    from transformers import MistralConfig, MistralForCausalLM

    torch.manual_seed(0)
    cfg = MistralConfig(vocab_size=128, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                        attn_implementation="sdpa")
    return MistralForCausalLM(cfg).eval()


def test_plugin_registers_the_function_and_switches_the_model():
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS
    from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS

    from axolotl.integrations.base import load_plugin

    plugin = load_plugin("axolotl_configs.varlen_attention.VarlenAttentionPlugin")
    plugin.register({})
    assert ALL_ATTENTION_FUNCTIONS[va.NAME] is va.varlen_attention_forward
    assert ALL_MASK_ATTENTION_FUNCTIONS[va.NAME] is va.varlen_mask
    model = _tiny_mistral()
    plugin.post_model_build({}, model)
    assert model.config._attn_implementation == va.NAME


def test_packed_model_forward_equals_masked_sdpa():
    """A whole (tiny, random) Mistral on packed rows: the plugin's function against stock SDPA given the 4D mask that
    keeps the documents apart, and against one document fed alone."""
    model = _tiny_mistral()
    ids = torch.randint(0, 128, PACKED.shape)
    with torch.no_grad():
        masked = model(input_ids=ids, position_ids=PACKED, attention_mask=va.block_causal_mask(PACKED)).logits
        alone = model(input_ids=ids[:1, 3:5], position_ids=PACKED[:1, 3:5]).logits
        va.register()
        model.set_attn_implementation(va.NAME)
        packed = model(input_ids=ids, position_ids=PACKED).logits
    torch.testing.assert_close(masked[:1, 3:5], alone, atol=1e-5, rtol=1e-4)  # the reference itself is right
    torch.testing.assert_close(packed, masked, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("path", sorted((ROOT / "axolotl_configs").rglob("mistral7b-*.yml")), ids=lambda p: p.name)
def test_every_mistral_recipe_names_the_plugin(path):
    plugins = yaml.safe_load(path.read_text())["plugins"]
    assert "axolotl_configs.varlen_attention.VarlenAttentionPlugin" in plugins
