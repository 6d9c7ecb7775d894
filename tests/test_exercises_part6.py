"""Part 6 exercise checkers: right, wrong, and what the learner is told
(not attempted: tests/test_exercises.py)."""

import json
import math
from pathlib import Path

import pytest

from course_utils.exercises import part6
from tests.fakes import DECODER
from tests.verdicts import right, wrong

CONFIGS = Path(__file__).parent / "configs"


@pytest.fixture
def smollm2_config():
    """SmolLM2-135M's real attention shape (no Hub needed)."""
    from transformers import LlamaConfig

    return LlamaConfig(
        hidden_size=576, num_hidden_layers=30, num_attention_heads=9, num_key_value_heads=3,
        head_dim=64, intermediate_size=1536, vocab_size=256,
    )  # fmt: skip


def test_q1_temperature():
    import torch

    expected = torch.softmax(torch.tensor(part6.Q1_LOGITS) / part6.Q1_TEMPERATURE, dim=-1)[0]
    right(part6.q1, expected.item())
    plain = torch.softmax(torch.tensor(part6.Q1_LOGITS), dim=-1)[0].item()  # forgot temperature
    wrong(part6.q1, plain, says="too low")
    right(part6.q1, "0.87")  # a number typed as text is still a number
    wrong(part6.q1, "high", says="should be a number")


def test_q2_kv_bytes(smollm2_config):
    right(part6.q2, 23_592_960, smollm2_config)  # 2*30*3*64*1024*2
    wrong(part6.q2, 23_592_960 // 2, smollm2_config, says="K and V")
    wrong(part6.q2, 23_592_960 * 3, smollm2_config, says="key/value heads")
    wrong(part6.q2, 23_592_960, says="model.config")  # no config passed
    wrong(part6.q2, "22.5 MiB", smollm2_config, says="bytes")


def test_q2_computes_from_the_config():
    """Another config gives another answer: nothing is hard-coded for SmolLM2."""
    from transformers import AutoConfig

    # the published config.json of Qwen/Qwen2.5-0.5B-Instruct: 24 layers, 2 KV heads of 64
    cfg = AutoConfig.for_model(
        **json.loads((CONFIGS / "Qwen--Qwen2.5-0.5B-Instruct.json").read_text())
    )
    expected = 2 * 24 * 2 * 64 * part6.Q2_TOKENS * 2
    right(part6.q2, expected, cfg)
    wrong(part6.q2, 23_592_960, cfg)


def test_q2_agrees_with_a_real_cache():
    """The formula matches what a DynamicCache really holds after a forward pass."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = LlamaConfig(**DECODER)  # grouped-query attention: 4 heads share 2 KV heads
    model = LlamaForCausalLM(cfg).to(torch.bfloat16).eval()
    with torch.inference_mode():
        cache = model(torch.zeros(1, 10, dtype=torch.long), use_cache=True).past_key_values
    held = sum(
        t.numel() * t.element_size() for layer in cache.layers for t in (layer.keys, layer.values)
    )
    assert held == part6._kv_bytes(cfg, 10)


def test_q3_top_p():
    right(part6.q3, 3)
    wrong(part6.q3, 2, says="too few")
    wrong(part6.q3, 5, says="too many")
    wrong(part6.q3, 3.0, says="whole number")  # a count of tokens is a whole number


def test_q3_matches_a_hand_count():
    probs = sorted(part6.Q3_PROBS, reverse=True)
    total, n = 0.0, 0
    while total < part6.Q3_TOP_P:
        total += probs[n]
        n += 1
    assert part6._top_p_survivors(part6.Q3_PROBS, part6.Q3_TOP_P) == n


def test_q1_expected_value():
    e4, e2 = math.exp(4), math.exp(2)
    assert math.isclose(part6._softmax([4.0, 2.0, 0.0])[0], e4 / (e4 + e2 + 1))
