"""Part 2 exercises: each checker says 'not attempted', accepts the right answer and rejects
wrong ones with a message that says what is off."""

import torch

from course_utils.exercises import part2


def test_q1_bf16_matrix(capsys):
    assert part2.q1.check(torch.arange(12, dtype=torch.bfloat16).reshape(3, 4)) is True
    assert "correct" in capsys.readouterr().out
    assert part2.q1.check(torch.arange(12).reshape(3, 4)) is False
    assert "torch.bfloat16" in capsys.readouterr().out
    assert part2.q1.check(torch.arange(12, dtype=torch.bfloat16)) is False
    assert "shape" in capsys.readouterr().out
    assert part2.q1.check(torch.zeros(3, 4, dtype=torch.bfloat16)) is False
    assert "0 to 11" in capsys.readouterr().out
    assert part2.q1.check([[0, 1, 2, 3]]) is False
    assert "tensor" in capsys.readouterr().out


def test_q2_bytes(capsys):
    assert part2.q2.check(4096 * 4096 * 2) is True
    assert "correct" in capsys.readouterr().out
    assert part2.q2.check(4096 * 4096) is False
    assert "number of elements" in capsys.readouterr().out
    assert part2.q2.check(4096 * 4096 * 4) is False
    assert "float32" in capsys.readouterr().out
    assert part2.q2.check(12345) is False
    assert "too few" in capsys.readouterr().out


def test_q3_fp16_overflow(capsys):
    assert part2.q3.check(100_000.0) is True
    assert "correct" in capsys.readouterr().out
    assert part2.q3.check(70000) is True
    capsys.readouterr()
    assert part2.q3.check(65504.0) is False  # the largest float16 is still finite
    assert "still fits in float16" in capsys.readouterr().out
    assert part2.q3.check(1e39) is False  # beyond bfloat16's range too
    assert "too big for bfloat16" in capsys.readouterr().out
    assert part2.q3.check("big") is False
    assert "not quite" in capsys.readouterr().out
