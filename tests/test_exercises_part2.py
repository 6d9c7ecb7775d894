"""Part 2 exercises: each checker accepts the right answer and rejects
wrong ones with a message that says what is off."""

import torch

from course_utils.exercises import part2


def test_q1_bf16_matrix():
    ok, msg = part2.q1.verdict(torch.arange(12, dtype=torch.bfloat16).reshape(3, 4))
    assert ok is True, msg
    assert "correct" in msg
    ok, msg = part2.q1.verdict(torch.arange(12).reshape(3, 4))
    assert ok is False, msg
    assert "torch.bfloat16" in msg
    ok, msg = part2.q1.verdict(torch.arange(12, dtype=torch.bfloat16))
    assert ok is False, msg
    assert "shape" in msg
    ok, msg = part2.q1.verdict(torch.zeros(3, 4, dtype=torch.bfloat16))
    assert ok is False, msg
    assert "0 to 11" in msg
    ok, msg = part2.q1.verdict([[0, 1, 2, 3]])
    assert ok is False, msg
    assert "tensor" in msg


def test_q2_bytes():
    ok, msg = part2.q2.verdict(4096 * 4096 * 2)
    assert ok is True, msg
    assert "correct" in msg
    ok, msg = part2.q2.verdict(4096 * 4096)
    assert ok is False, msg
    assert "number of elements" in msg
    ok, msg = part2.q2.verdict(4096 * 4096 * 4)
    assert ok is False, msg
    assert "float32" in msg
    ok, msg = part2.q2.verdict(12345)
    assert ok is False, msg
    assert "too few" in msg


def test_q3_fp16_overflow():
    ok, msg = part2.q3.verdict(100_000.0)
    assert ok is True, msg
    assert "correct" in msg
    ok, msg = part2.q3.verdict(70000)
    assert ok is True, msg
    ok, msg = part2.q3.verdict(65504.0)  # the largest float16 is still finite
    assert ok is False, msg
    assert "still fits in float16" in msg
    ok, msg = part2.q3.verdict(1e39)  # beyond bfloat16's range too
    assert ok is False, msg
    assert "too big for bfloat16" in msg
    ok, msg = part2.q3.verdict("big")
    assert ok is False, msg
    assert "not quite" in msg
