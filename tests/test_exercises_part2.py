"""Part 2 exercises: each checker accepts the right answer and rejects
wrong ones with a message that says what is off."""

import torch

from course_utils.exercises import part2
from tests.verdicts import right, wrong


def test_q1_bf16_matrix():
    right(part2.q1, torch.arange(12, dtype=torch.bfloat16).reshape(3, 4))
    wrong(part2.q1, torch.arange(12).reshape(3, 4), says="torch.bfloat16")
    wrong(part2.q1, torch.arange(12, dtype=torch.bfloat16), says="shape")
    wrong(part2.q1, torch.zeros(3, 4, dtype=torch.bfloat16), says="0 to 11")
    wrong(part2.q1, [[0, 1, 2, 3]], says="tensor")


def test_q2_bytes():
    right(part2.q2, 4096 * 4096 * 2)
    wrong(part2.q2, 4096 * 4096, says="number of elements")
    wrong(part2.q2, 4096 * 4096 * 4, says="float32")
    wrong(part2.q2, 12345, says="too few")


def test_q3_fp16_overflow():
    right(part2.q3, 100_000.0)
    right(part2.q3, 70000)
    wrong(part2.q3, 65504.0, says="still fits in float16")  # the largest float16 is still finite
    wrong(part2.q3, 1e39, says="too big for bfloat16")  # beyond bfloat16's range too
    wrong(part2.q3, "big", says="not quite")
