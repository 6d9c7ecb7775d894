"""Part 8 exercises: each checker says 'not attempted', accepts the right answer and rejects
wrong ones with a message that says what is off."""

import torch

import course_utils as cu
from course_utils.exercises import part8


def test_q1_memory_maths(capsys):
    gib = 13e9 * 2 / 2**30
    assert part8.q1.check((gib, False)) is True
    assert "correct" in capsys.readouterr().out
    assert part8.q1.check((round(gib, 1), False)) is True  # a rounded answer is fine
    capsys.readouterr()
    assert part8.q1.check((26.0, False)) is False  # GB, not GiB
    assert "GiB" in capsys.readouterr().out
    assert part8.q1.check((13e9 * 4 / 2**30, False)) is False
    assert "float32" in capsys.readouterr().out
    assert part8.q1.check((gib, True)) is False
    assert "usable" in capsys.readouterr().out
    assert part8.q1.check(gib) is False
    assert "pair" in capsys.readouterr().out


def _right(w):
    scale = (w.max() - w.min()) / 255
    zero_point = torch.round(-128 - w.min() / scale)
    q = torch.clamp(torch.round(w / scale) + zero_point, -128, 127).to(torch.int8)
    return q, scale, zero_point


def test_q2_int8_by_hand(capsys):
    assert part8.q2.check(_right) is True
    assert "correct" in capsys.readouterr().out

    def symmetric(w):  # a different scheme: scale from the largest magnitude
        scale = w.abs().max() / 127
        return torch.round(w / scale).to(torch.int8), scale, 0

    assert part8.q2.check(symmetric) is False
    assert "scale" in capsys.readouterr().out

    def no_zero_point(w):
        q, scale, _zp = _right(w)
        return q, scale, 0

    assert part8.q2.check(no_zero_point) is False
    assert "half a step" in capsys.readouterr().out

    def floats(w):
        q, scale, zp = _right(w)
        return q.float(), scale, zp

    assert part8.q2.check(floats) is False
    assert "torch.int8" in capsys.readouterr().out
    assert part8.q2.check(_right(torch.randn(4))) is False
    assert "function" in capsys.readouterr().out


def test_q3_licenses(capsys):
    expected = [m for m in part8.LICENSE_CANDIDATES if cu.license_info(m).category == "permissive"]
    assert set(expected) == {"Qwen/Qwen2.5-0.5B-Instruct", "HuggingFaceTB/SmolLM2-135M-Instruct"}
    assert part8.q3.check(expected) is True
    assert "correct" in capsys.readouterr().out
    assert part8.q3.check(expected + ["facebook/nllb-200-distilled-600M"]) is False
    assert "cc-by-nc-4.0" in capsys.readouterr().out
    assert part8.q3.check(expected[:1]) is False
    assert "missing" in capsys.readouterr().out
    assert part8.q3.check(["someone/else"]) is False
    assert "not in" in capsys.readouterr().out
    assert part8.q3.check("Qwen/Qwen2.5-0.5B-Instruct") is False
    assert "list" in capsys.readouterr().out
