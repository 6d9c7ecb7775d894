"""course_utils.peak: the inference peak against a live-tensor tracker on real runs."""

from __future__ import annotations

import pytest

import course_utils as cu
from course_utils.live_tensors import LiveTensors

SMOL = "HuggingFaceTB/SmolLM2-135M-Instruct"


def measured_peak(model, tokens: int, batch: int, mode: str) -> int:
    import torch

    ids = torch.randint(0, 1000, (batch, tokens))
    keep = {"logits_to_keep": 1} if mode == "generate" else {}  # what generate's prefill asks
    with torch.inference_mode(), LiveTensors() as live:
        model(ids, use_cache=True, **keep)
    return live.peak


@pytest.fixture(scope="module")
def smol():
    import torch
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(SMOL, dtype=torch.bfloat16).eval()


@pytest.mark.parametrize("mode", ["generate", "forward"])
@pytest.mark.parametrize("tokens,batch", [(128, 1), (1024, 1), (256, 2)])
def test_smollm2_peak_within_2_percent(smol, tokens, batch, mode):
    est = cu.estimate_memory(SMOL, "bf16", seq_len=tokens, batch_size=batch, mode=mode)
    live = measured_peak(smol, tokens, batch, mode)  # KV cache + activations (+ logits)
    predicted = est.kv_cache_bytes + est.activation_bytes
    assert abs(predicted - live) <= 0.02 * live, (tokens, batch, mode, predicted, live)
    assert est.peak_bytes == est.weights_bytes + predicted


@pytest.mark.parametrize(
    "hidden,inter,head_dim,heads,kv_heads,dtype",
    [(256, 1024, 64, 4, 2, "bfloat16"), (256, 512, 32, 8, 8, "float32"),
     (512, 768, 128, 4, 1, "bfloat16")],
)  # fmt: skip
def test_other_llama_shapes(hidden, inter, head_dim, heads, kv_heads, dtype):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=1000, hidden_size=hidden, intermediate_size=inter,
                         num_hidden_layers=2, num_attention_heads=heads,
                         num_key_value_heads=kv_heads, head_dim=head_dim)  # fmt: skip
    model = LlamaForCausalLM(config).to(getattr(torch, dtype)).eval()
    est = cu.estimate_memory(config, dtype, seq_len=384)
    live = measured_peak(model, 384, 1, "generate")
    assert abs(est.kv_cache_bytes + est.activation_bytes - live) <= 0.02 * live


def test_forward_adds_the_logits_of_every_position():
    gen = cu.estimate_memory(SMOL, "bf16", seq_len=4096)
    fwd = cu.estimate_memory(SMOL, "bf16", seq_len=4096, mode="forward")
    assert fwd.activation_bytes - 4096 * 576 * 2 == 4096 * 49152 * 2  # 403 MB of bf16 logits
    assert 13_500 < gen.activation_bytes / 4096 < 14_500  # about 14 KB per prompt token
    with pytest.raises(cu.CourseError, match="mode"):
        cu.estimate_memory(SMOL, mode="backward")


@pytest.mark.parametrize("window,tokens", [(64, 384), (4096, 384), (256, 1024)])
def test_sliding_window_prefill_holds_the_whole_prompt_and_a_mask(window, tokens):
    import torch
    from transformers import MistralConfig, MistralForCausalLM

    config = MistralConfig(vocab_size=1000, hidden_size=256, intermediate_size=1024,
                           num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                           sliding_window=window)  # fmt: skip
    model = MistralForCausalLM(config).to(torch.bfloat16).eval()
    est = cu.estimate_memory(config, "bfloat16", seq_len=tokens)
    ids = torch.randint(1, 1000, (1, tokens))  # no pad token (0): no padding mask
    with torch.inference_mode(), LiveTensors() as live:
        model.generate(ids, max_new_tokens=1, do_sample=False, pad_token_id=0)
    predicted = est.kv_cache_bytes + est.activation_bytes
    assert abs(predicted - live.peak) <= 0.01 * live.peak, (window, predicted, live.peak)


@pytest.mark.parametrize("tokens", [7, 300])
def test_8bit_adds_the_int32_result_bitsandbytes_makes(tokens):
    """The 8-bit matmul's int32 result, made by bitsandbytes itself on this CPU: the estimate
    adds its size for the MLP's widest layer (n x intermediate_size), on top of 16-bit's."""
    import bitsandbytes  # noqa: F401  (registers torch.ops.bitsandbytes)
    import torch
    from transformers import LlamaConfig

    config = LlamaConfig(vocab_size=1000, hidden_size=256, intermediate_size=1024,
                         num_hidden_layers=2, num_attention_heads=4)  # fmt: skip
    x = torch.randint(-127, 128, (tokens, config.hidden_size), dtype=torch.int8)
    w = torch.randint(-127, 128, (config.intermediate_size, config.hidden_size), dtype=torch.int8)
    result = torch.ops.bitsandbytes.int8_linear_matmul(x, w)  # the up projection's first step
    assert result.dtype == torch.int32
    eight = cu.estimate_memory(config, "int8", seq_len=tokens)
    sixteen = cu.estimate_memory(config, "float16", seq_len=tokens)
    assert eight.activation_bytes - sixteen.activation_bytes == result.nbytes
    assert any("int32" in note for note in eight.notes)
