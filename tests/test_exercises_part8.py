"""Part 8 exercises: each checker says 'not attempted', accepts the right answer and rejects
wrong ones with a message that says what is off."""

import torch

import course_utils as cu
from course_utils.exercises import part8


def test_q1_memory_maths():
    gib = 13e9 * 2 / 2**30
    ok, msg = part8.q1.verdict((gib, False))
    assert ok is True, msg
    assert "correct" in msg
    ok, msg = part8.q1.verdict((round(gib, 1), False))  # a rounded answer is fine
    assert ok is True, msg
    ok, msg = part8.q1.verdict((26.0, False))  # GB, not GiB
    assert ok is False, msg
    assert "GiB" in msg
    ok, msg = part8.q1.verdict((13e9 * 4 / 2**30, False))
    assert ok is False, msg
    assert "float32" in msg
    ok, msg = part8.q1.verdict((gib, True))
    assert ok is False, msg
    assert "usable" in msg
    ok, msg = part8.q1.verdict(gib)
    assert ok is False, msg
    assert "pair" in msg


def _right(w):
    scale = (w.max() - w.min()) / 255
    zero_point = torch.round(-128 - w.min() / scale)
    q = torch.clamp(torch.round(w / scale) + zero_point, -128, 127).to(torch.int8)
    return q, scale, zero_point


def test_q2_int8_by_hand():
    ok, msg = part8.q2.verdict(_right)
    assert ok is True, msg
    assert "correct" in msg

    def symmetric(w):  # a different scheme: scale from the largest magnitude
        scale = w.abs().max() / 127
        return torch.round(w / scale).to(torch.int8), scale, 0

    ok, msg = part8.q2.verdict(symmetric)
    assert ok is False, msg
    assert "scale" in msg

    def no_zero_point(w):
        q, scale, _zp = _right(w)
        return q, scale, 0

    ok, msg = part8.q2.verdict(no_zero_point)
    assert ok is False, msg
    assert "half a step" in msg

    def floats(w):
        q, scale, zp = _right(w)
        return q.float(), scale, zp

    ok, msg = part8.q2.verdict(floats)
    assert ok is False, msg
    assert "torch.int8" in msg
    ok, msg = part8.q2.verdict(_right(torch.randn(4)))
    assert ok is False, msg
    assert "function" in msg


def test_q1_rejects_nan_and_inf():
    for bad in (float("nan"), float("inf"), -float("inf")):
        ok, msg = part8.q1.verdict((bad, False))
        assert ok is False, msg
        assert "NaN or inf" in msg or "not a size" in msg  # refused at the door or by q1


def test_q3_expected_answer_is_worked_out_from_licenses_and_plans():
    """The expected answer follows from course_utils, not from a stored constant."""
    facts = {
        m: (cu.license_info(m).category, cu.plan(m, gpu="T4", seq_len=part8.Q3_CONTEXT))
        for m in part8.Q3_CANDIDATES
    }
    shippable = {m: p for m, (cat, p) in facts.items() if cat == "permissive" and p.choice}
    best = max(shippable, key=lambda m: shippable[m].levers[0].estimate.params)
    assert (best, shippable[best].choice.dtype) == ("Qwen/Qwen2.5-7B-Instruct", "int8")
    # the 8B fits too at this context, but its license is conditional: a paid product needs care
    assert facts["meta-llama/Llama-3.1-8B-Instruct"][0] == "conditional"
    assert facts["meta-llama/Llama-3.1-8B-Instruct"][1].choice is not None


def test_q3_ship_a_model():
    ok, msg = part8.q3.verdict(("Qwen/Qwen2.5-7B-Instruct", "int8"))
    assert ok is True, msg
    assert "correct" in msg
    ok, msg = part8.q3.verdict(("Qwen/Qwen2.5-7B-Instruct", "8bit"))  # any spelling of int8
    assert ok is True, msg
    ok, msg = part8.q3.verdict(("Qwen/Qwen2.5-7B-Instruct", "nf4"))
    assert ok is False, msg
    assert "first lever that fits" in msg
    ok, msg = part8.q3.verdict(("Qwen/Qwen2.5-7B-Instruct", "float16"))
    assert ok is False, msg
    assert "does not fit" in msg
    ok, msg = part8.q3.verdict(("meta-llama/Llama-3.1-8B-Instruct", "nf4"))
    assert ok is False, msg
    assert "conditional" in msg
    ok, msg = part8.q3.verdict(("google/gemma-2-2b-it", "float16"))
    assert ok is False, msg
    assert "gemma" in msg
    ok, msg = part8.q3.verdict(("Qwen/Qwen2.5-0.5B-Instruct", "float16"))
    assert ok is False, msg
    assert "larger model" in msg
    ok, msg = part8.q3.verdict(("someone/else", "int8"))
    assert ok is False, msg
    assert "not in" in msg
    ok, msg = part8.q3.verdict(("Qwen/Qwen2.5-7B-Instruct", "int3"))
    assert ok is False, msg
    assert "not a precision" in msg
    ok, msg = part8.q3.verdict("Qwen/Qwen2.5-7B-Instruct")
    assert ok is False, msg
    assert "pair" in msg


def test_q3_too_big_at_long_context(monkeypatch):
    """A model whose license would do but whose KV cache does not fit is refused for its size."""
    real = part8._q3_facts

    def llama_permissive():
        facts = dict(real())
        lic, _ = facts["meta-llama/Llama-3.1-8B-Instruct"]
        # at 128k tokens its KV cache alone outgrows a T4 in every precision
        too_long = cu.plan("meta-llama/Llama-3.1-8B-Instruct", gpu="T4", seq_len=131072)
        assert too_long.choice is None
        facts["meta-llama/Llama-3.1-8B-Instruct"] = (
            type(lic)(**{**lic.__dict__, "category": "permissive"}),
            too_long,
        )
        return facts

    monkeypatch.setattr(part8, "_q3_facts", llama_permissive)
    ok, msg = part8.q3.verdict(("meta-llama/Llama-3.1-8B-Instruct", "nf4"))
    assert ok is False, msg
    assert "does not fit" in msg
