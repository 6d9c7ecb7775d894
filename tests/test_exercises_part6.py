"""Part 6 exercise checkers: not attempted, right, wrong, and what they print."""

import math

import pytest

from course_utils.exercises import part6


@pytest.fixture
def smollm2_config():
    """SmolLM2-135M's real attention shape (no Hub needed)."""
    from transformers import LlamaConfig

    return LlamaConfig(hidden_size=576, num_hidden_layers=30, num_attention_heads=9,
                       num_key_value_heads=3, head_dim=64, intermediate_size=1536, vocab_size=256)


def test_q1_temperature(capsys):
    import torch

    right = torch.softmax(torch.tensor(part6.Q1_LOGITS) / part6.Q1_TEMPERATURE, dim=-1)[0].item()
    assert part6.q1.check(right) is True
    assert "correct" in capsys.readouterr().out
    plain = torch.softmax(torch.tensor(part6.Q1_LOGITS), dim=-1)[0].item()  # forgot temperature
    assert part6.q1.check(plain) is False
    assert "too low" in capsys.readouterr().out
    assert part6.q1.check("0.87") is True  # a number typed as text is still a number
    assert part6.q1.check("high") is False
    assert "should be a number" in capsys.readouterr().out


def test_q2_kv_bytes(smollm2_config, capsys):
    assert part6.q2.check(23_592_960, smollm2_config) is True  # 2*30*3*64*1024*2
    assert "correct" in capsys.readouterr().out
    assert part6.q2.check(23_592_960 // 2, smollm2_config) is False
    assert "K and V" in capsys.readouterr().out
    assert part6.q2.check(23_592_960 * 3, smollm2_config) is False
    assert "key/value heads" in capsys.readouterr().out
    assert part6.q2.check(23_592_960) is False  # no config passed
    assert "model.config" in capsys.readouterr().out
    assert part6.q2.check("22.5 MiB", smollm2_config) is False
    assert "bytes" in capsys.readouterr().out


def test_q2_computes_from_the_config(capsys):
    """Another config gives another answer: nothing is hard-coded for SmolLM2."""
    from transformers import Qwen2Config

    cfg = Qwen2Config(hidden_size=896, num_hidden_layers=24, num_attention_heads=14,
                      num_key_value_heads=2, intermediate_size=4864, vocab_size=256)
    expected = 2 * 24 * 2 * 64 * part6.Q2_TOKENS * 2
    assert part6.q2.check(expected, cfg) is True
    assert part6.q2.check(23_592_960, cfg) is False


def test_q2_agrees_with_a_real_cache():
    """The formula matches what a DynamicCache really holds after a forward pass."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = LlamaConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, intermediate_size=128, vocab_size=128)
    model = LlamaForCausalLM(cfg).to(torch.bfloat16).eval()
    with torch.inference_mode():
        cache = model(torch.zeros(1, 10, dtype=torch.long), use_cache=True).past_key_values
    held = sum(t.numel() * t.element_size() for layer in cache.layers for t in (layer.keys, layer.values))
    assert held == part6._kv_bytes(cfg, 10)


def test_q3_top_p(capsys):
    assert part6.q3.check(3) is True
    assert "correct" in capsys.readouterr().out
    assert part6.q3.check(2) is False
    assert "too few" in capsys.readouterr().out
    assert part6.q3.check(5) is False
    assert "too many" in capsys.readouterr().out
    assert part6.q3.check(3.0) is False  # a count of tokens is a whole number
    assert "whole number" in capsys.readouterr().out


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
