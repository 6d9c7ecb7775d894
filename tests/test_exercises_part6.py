"""Part 6 exercise checkers: right, wrong, and what the learner is told
(not attempted: tests/test_exercises.py)."""

import math

import pytest

from course_utils.exercises import part6


@pytest.fixture
def smollm2_config():
    """SmolLM2-135M's real attention shape (no Hub needed)."""
    from transformers import LlamaConfig

    return LlamaConfig(
        hidden_size=576,
        num_hidden_layers=30,
        num_attention_heads=9,
        num_key_value_heads=3,
        head_dim=64,
        intermediate_size=1536,
        vocab_size=256,
    )


def test_q1_temperature():
    import torch

    right = torch.softmax(torch.tensor(part6.Q1_LOGITS) / part6.Q1_TEMPERATURE, dim=-1)[0].item()
    ok, msg = part6.q1.verdict(right)
    assert ok is True, msg
    assert "correct" in msg
    plain = torch.softmax(torch.tensor(part6.Q1_LOGITS), dim=-1)[0].item()  # forgot temperature
    ok, msg = part6.q1.verdict(plain)
    assert ok is False, msg
    assert "too low" in msg
    ok, msg = part6.q1.verdict("0.87")  # a number typed as text is still a number
    assert ok is True, msg
    ok, msg = part6.q1.verdict("high")
    assert ok is False, msg
    assert "should be a number" in msg


def test_q2_kv_bytes(smollm2_config):
    ok, msg = part6.q2.verdict(23_592_960, smollm2_config)  # 2*30*3*64*1024*2
    assert ok is True, msg
    assert "correct" in msg
    ok, msg = part6.q2.verdict(23_592_960 // 2, smollm2_config)
    assert ok is False, msg
    assert "K and V" in msg
    ok, msg = part6.q2.verdict(23_592_960 * 3, smollm2_config)
    assert ok is False, msg
    assert "key/value heads" in msg
    ok, msg = part6.q2.verdict(23_592_960)  # no config passed
    assert ok is False, msg
    assert "model.config" in msg
    ok, msg = part6.q2.verdict("22.5 MiB", smollm2_config)
    assert ok is False, msg
    assert "bytes" in msg


def test_q2_computes_from_the_config():
    """Another config gives another answer: nothing is hard-coded for SmolLM2."""
    from transformers import Qwen2Config

    cfg = Qwen2Config(
        hidden_size=896,
        num_hidden_layers=24,
        num_attention_heads=14,
        num_key_value_heads=2,
        intermediate_size=4864,
        vocab_size=256,
    )
    expected = 2 * 24 * 2 * 64 * part6.Q2_TOKENS * 2
    ok, msg = part6.q2.verdict(expected, cfg)
    assert ok is True, msg
    ok, msg = part6.q2.verdict(23_592_960, cfg)
    assert ok is False, msg


def test_q2_agrees_with_a_real_cache():
    """The formula matches what a DynamicCache really holds after a forward pass."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = LlamaConfig(
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        intermediate_size=128,
        vocab_size=128,
    )
    model = LlamaForCausalLM(cfg).to(torch.bfloat16).eval()
    with torch.inference_mode():
        cache = model(torch.zeros(1, 10, dtype=torch.long), use_cache=True).past_key_values
    held = sum(
        t.numel() * t.element_size() for layer in cache.layers for t in (layer.keys, layer.values)
    )
    assert held == part6._kv_bytes(cfg, 10)


def test_q3_top_p():
    ok, msg = part6.q3.verdict(3)
    assert ok is True, msg
    assert "correct" in msg
    ok, msg = part6.q3.verdict(2)
    assert ok is False, msg
    assert "too few" in msg
    ok, msg = part6.q3.verdict(5)
    assert ok is False, msg
    assert "too many" in msg
    ok, msg = part6.q3.verdict(3.0)  # a count of tokens is a whole number
    assert ok is False, msg
    assert "whole number" in msg


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
