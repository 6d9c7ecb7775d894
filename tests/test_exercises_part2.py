"""Part 2 exercises: each checker accepts the right answer and rejects
wrong ones with a message that says what is off."""

import torch

from course_utils.exercises import part2
from tests.verdicts import right, wrong


def to_int8(x):
    return x.round().clamp(-128, 127).to(torch.int8)


def test_q1_to_int8_right_forms():
    right(part2.q1, to_int8)
    right(part2.q1, lambda x: torch.clamp(torch.round(x), min=-128, max=127).to(torch.int8))
    right(part2.q1, lambda x: x.clamp(-128, 127).round().to(torch.int8))  # clamp first: same


def test_q1_refuses_wrap_truncation_and_the_wrong_dtype():
    # review: q1 was cell 3 with another dtype; the skill is converting to int8 safely
    wrong(part2.q1, lambda x: x.to(torch.int8), says="plain .to(torch.int8)")
    wrong(part2.q1, lambda x: x.clamp(-128, 127).to(torch.int8), says="round first")
    wrong(part2.q1, lambda x: x.round().to(torch.int8), says="not clamped")
    wrong(part2.q1, lambda x: x.round().clamp(-128, 127), says="torch.int8 at the end")
    wrong(part2.q1, lambda x: x.round().clamp(-127, 127).to(torch.int8), says="nearest int8")
    wrong(part2.q1, lambda x: x.to(torch.int8).clamp(-128, 127), says="plain")
    wrong(part2.q1, lambda x: to_int8(x)[:3], says="one per value")
    wrong(part2.q1, lambda x: to_int8(x).tolist(), says="tensor")
    wrong(part2.q1, torch.arange(12, dtype=torch.bfloat16).reshape(3, 4), says="function itself")


def test_q2_bytes():
    right(part2.q2, 4096 * 4096 * 2)
    wrong(part2.q2, 4096 * 4096, says="number of elements")
    wrong(part2.q2, 4096 * 4096 * 4, says="float32")
    wrong(part2.q2, 12345, says="too few")


def test_q3_smallest_whole_number_that_overflows_float16():
    right(part2.q3, 65520)
    right(part2.q3, 65520.0)  # a whole float
    right(part2.q3, torch.tensor(65520))
    assert torch.isinf(torch.tensor(65520.0, dtype=torch.float16))
    assert torch.isfinite(torch.tensor(65519.0, dtype=torch.float16))
    assert torch.isfinite(torch.tensor(65520.0, dtype=torch.bfloat16))  # bfloat16 still holds it
    wrong(part2.q3, 65504, says="still fits in float16")  # the largest float16 itself
    wrong(part2.q3, 65505, says="stored as 65504.0")  # rounds back down: not inf
    wrong(part2.q3, 65519, says="still fits")
    wrong(part2.q3, 65536, says="a smaller whole number")
    wrong(part2.q3, 100_000, says="a smaller whole number")  # the old question's answer
    wrong(part2.q3, 65519.99, says="whole number")  # review: its message said "65520 fits"
    wrong(part2.q3, "big", says="not quite")


def test_q2_accepts_the_whole_float_the_course_helper_gives():
    import course_utils as cu

    right(part2.q2, 4096 * 4096 * cu.bytes_per_param("bfloat16"))  # 33554432.0 (review)
    right(part2.q2, torch.tensor(4096 * 4096 * 2))  # a 0-dim tensor
    wrong(part2.q2, 33_554_432.5, says="whole number")
    wrong(part2.q2, "33554432", says="whole number")


COUNTS = torch.tensor([[1.0, 3.0, 0.0, 4.0], [2.0, 2.0, 2.0, 2.0], [5.0, 0.0, 1.0, 4.0]])


def test_q4_row_normalisation_in_any_honest_form():
    want = COUNTS / COUNTS.sum(dim=1, keepdim=True)
    right(part2.q4, want, COUNTS)
    right(part2.q4, want.tolist(), COUNTS)  # nested lists
    right(part2.q4, want.numpy(), COUNTS)  # a NumPy array
    right(part2.q4, want.half(), COUNTS)  # a lower-precision tensor
    right(part2.q4, COUNTS / COUNTS.sum(dim=1)[:, None], COUNTS)  # indexing instead of keepdim


def test_q4_refuses_the_known_wrong_ways():
    wrong(part2.q4, COUNTS / COUNTS.sum(dim=0, keepdim=True), COUNTS, says="COLUMN")
    wrong(part2.q4, COUNTS / COUNTS.sum(dim=0), COUNTS, says="COLUMN")  # broadcasts, wrongly
    wrong(part2.q4, COUNTS / COUNTS.sum(), COUNTS, says="without dim=")
    wrong(part2.q4, COUNTS.softmax(dim=1), COUNTS, says="softmax")
    wrong(part2.q4, COUNTS.sum(dim=1), COUNTS, says="keepdim")  # the totals, not the division
    wrong(part2.q4, torch.ones(3, 4) / 4, COUNTS, says="proportions")
    wrong(part2.q4, "rows", COUNTS, says="tensor")
    wrong(part2.q4, COUNTS, says="pass the counts tensor")
