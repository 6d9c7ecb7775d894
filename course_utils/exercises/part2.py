"""Part 2 exercises: tensors, dtypes and bytes.

Each checker works the expected value out with torch (imported inside the checker, so importing
this module stays cheap) rather than comparing with a number typed in here.
"""

from __future__ import annotations

from typing import Any

from . import Exercise, as_whole, needs, short_repr

__all__ = ["q1", "q2", "q3", "q4"]


# q1 converts these: out of range both ways, fractions that truncation and rounding tell
# apart, and values far beyond int32 (which a plain conversion on x86 turns into 0)
Q1_VALUES = (200.0, -3e9, 2.6, -2.6, 127.4, -128.6, 1e10, -0.7, 56.2, float("inf"), -1000.0)


def _check_q1(answer: Any, *_: Any, **__: Any) -> str | None:
    if not callable(answer):
        return (
            "pass your function itself (def to_int8(x): ...), not "
            f"{short_repr(answer, 60)}: the checker runs it on values of its own"
        )
    import torch

    x = torch.tensor(Q1_VALUES)
    got = answer(x.clone())
    if not isinstance(got, torch.Tensor):
        return f"to_int8 should return a tensor, not {type(got).__name__}"
    if tuple(got.shape) != tuple(x.shape):
        return f"for {len(x)} values to_int8 returned shape {tuple(got.shape)}: one per value"
    if got.dtype != torch.int8:
        return f"the result's dtype is {got.dtype}: convert it to torch.int8 at the end"
    want = x.round().clamp(-128, 127).to(torch.int8)
    if torch.equal(got.cpu(), want):
        return None
    with torch.no_grad():
        plain = x.to(torch.int8)
        truncated = x.clamp(-128, 127).to(torch.int8)
        unclamped = x.round().to(torch.int8)
    shown = ", ".join(f"{v:g} -> {int(g)}" for v, g in zip(Q1_VALUES, got.tolist(), strict=True))
    if torch.equal(got.cpu(), plain):
        return (
            f"that is a plain .to(torch.int8): {shown}. Out-of-range values wrap or become 0: "
            "round, clamp into -128..127, then convert"
        )
    if torch.equal(got.cpu(), truncated):
        return (
            "the range is right, but 2.6 became 2: the conversion truncates toward zero; "
            "round first"
        )
    if torch.equal(got.cpu(), unclamped):
        return "rounded, but not clamped: 200.0 wrapped around; clamp into -128..127 first"
    mine, right = got.tolist(), want.tolist()
    bad = next(i for i, (g, w) in enumerate(zip(mine, right, strict=True)) if g != w)
    return f"{Q1_VALUES[bad]:g} became {mine[bad]}, but the nearest int8 is {right[bad]}"


q1 = Exercise(
    name="part2.q1",
    prompt="Write to_int8(x): convert a float tensor to int8 so that every value becomes the "
    "nearest int8 (out-of-range values become -128 or 127), never a wrapped or zeroed one.",
    checker=_check_q1,
    hint_text="x.to(torch.int8) truncates toward zero and, out of range, wraps or gives 0. "
    "x.round() rounds to the nearest whole number; .clamp(-128, 127) pulls everything into "
    "int8's range; convert last.",
    solution_text="def to_int8(x):\n"
    "    return x.round().clamp(-128, 127).to(torch.int8)\n\n"
    "part2.q1.check(to_int8)",
)


def _check_q2(answer: Any, *_: Any, **__: Any) -> str | None:
    import torch

    # A meta tensor has the real numel and element size but holds no data.
    t = torch.empty(4096, 4096, dtype=torch.bfloat16, device="meta")
    expected = t.numel() * t.element_size()
    answer, problem = as_whole(answer, "the number of bytes")
    if problem:
        return problem
    if answer == expected:
        return None
    if answer == t.numel():
        return "that is the number of elements; multiply by the bytes each element takes"
    if answer == t.numel() * 4:
        return "that is the size in float32 (4 bytes each); bfloat16 takes fewer"
    return f"{answer:,} bytes is {'too many' if answer > expected else 'too few'}"


q2 = Exercise(
    name="part2.q2",
    prompt="How many bytes does a bfloat16 tensor of shape (4096, 4096) take? Answer with an int.",
    checker=_check_q2,
    hint_text="bytes = numel x element_size. numel is 4096 * 4096; how many bytes is one "
    "bfloat16 number? (torch.tensor(0.0, dtype=torch.bfloat16).element_size())",
    solution_text="answer = 4096 * 4096 * 2   # 16 bits = 2 bytes per element -> 33,554,432\n"
    "# or with the course's table (a whole float such as 33554432.0 is accepted too):\n"
    "# answer = 4096 * 4096 * cu.bytes_per_param('bfloat16')\n"
    "# or, from a tensor of that shape:\n"
    "# t = torch.empty(4096, 4096, dtype=torch.bfloat16)\n"
    "# answer = t.numel() * t.element_size()",
)


def _smallest_fp16_overflow() -> int:
    """The smallest whole number that float16 rounds to inf, found by asking torch."""
    import torch

    top = int(torch.finfo(torch.float16).max)  # 65504, the largest finite float16
    return next(
        n for n in range(top, 2 * top) if torch.isinf(torch.tensor(float(n), dtype=torch.float16))
    )


def _check_q3(answer: Any, *_: Any, **__: Any) -> str | None:
    import torch

    value, problem = as_whole(answer, "the number")
    if problem:
        return problem
    expected = _smallest_fp16_overflow()
    if value == expected:
        return None
    in_fp16 = torch.tensor(float(value), dtype=torch.float16)
    if torch.isfinite(in_fp16):
        return (
            f"{value!r} still fits in float16: it is stored as {in_fp16.item()!r}, the nearest "
            "float16. A number becomes inf only when the nearest float16 would be past the largest"
        )
    return (
        f"{value!r} does become inf in float16, but a smaller whole number does too: numbers just "
        "above the largest float16 are first rounded to the nearest float16"
    )


q3 = Exercise(
    name="part2.q3",
    prompt="Find the smallest whole number that becomes inf when converted to float16.",
    checker=_check_q3,
    hint_text="torch.finfo(torch.float16).max is the largest float16, 65504. The next float16 "
    "after it would be 65536 (the gap between float16 numbers there is 32), and conversion "
    "rounds to the nearest. Where is the halfway point? Or let torch search: try each whole "
    "number from 65504 up and stop at the first that gives inf.",
    solution_text="answer = next(n for n in range(65504, 70000)\n"
    "              if torch.isinf(torch.tensor(float(n), dtype=torch.float16)))\n"
    "# 65520: halfway between 65504 and 65536 (where the next float16 would be); the halfway\n"
    "# value rounds to the 'even' neighbour, 65536, which is past the range, so it becomes inf.\n"
    "# bfloat16 still holds it (as 65536.0): same 8 exponent bits as float32.",
)


# ----- q4: broadcasting with dim= and keepdim= -----------------------------------------------


def _as_tensor(answer: Any) -> tuple[Any, str | None]:
    """A tensor, a NumPy array or nested lists of numbers, as a float64 CPU tensor."""
    import torch

    if isinstance(answer, torch.Tensor):
        return answer.detach().cpu().double(), None
    try:
        return torch.as_tensor(answer, dtype=torch.float64), None
    except Exception:  # noqa: BLE001 - a learner's answer may be anything
        return (
            None,
            f"the answer should be a tensor (or nested lists), got {type(answer).__name__}",
        )


@needs("the counts tensor", "part2.q4.check(answer, counts)")
def _check_q4(answer: Any, counts: Any = None, *_: Any, **__: Any) -> str | None:
    import torch

    counts, problem = _as_tensor(counts)
    if problem or counts.ndim != 2:
        return (
            "pass the (rows, columns) counts tensor from the exercise cell as the second argument"
        )
    got, problem = _as_tensor(answer)
    if problem:
        return problem
    if tuple(got.shape) != tuple(counts.shape):
        return (
            f"its shape is {tuple(got.shape)}, but each row of counts {tuple(counts.shape)} should "
            "keep its place: without keepdim=True the row totals have shape (rows,), which does "
            "not line up with the rows"
        )
    close = lambda t: torch.allclose(got, t, rtol=1e-3, atol=1e-4)  # noqa: E731
    if close(counts / counts.sum(dim=1, keepdim=True)):
        return None
    if close(counts / counts.sum(dim=0, keepdim=True)):
        return "each COLUMN sums to 1: dim=0 adds down the columns; the rows are along dim=1"
    if close(counts / counts.sum()):
        return "the whole matrix sums to 1: a sum without dim= adds every element"
    if close(counts.softmax(dim=1)):
        return "that is a softmax, which exponentiates first; divide by the row totals instead"
    return "the rows do not each sum to 1 in the proportions of counts"


q4 = Exercise(
    name="part2.q4",
    prompt="Divide each row of `counts` by that row's total, so that every row sums to 1, with "
    "one sum(dim=..., keepdim=...) and broadcasting.",
    checker=_check_q4,
    hint_text="counts.sum(dim=1) gives one total per row, shape (rows,). keepdim=True keeps it "
    "as a column, shape (rows, 1), which broadcasts across each row when you divide.",
    solution_text="answer = counts / counts.sum(dim=1, keepdim=True)\n"
    "print(answer.sum(dim=1))   # every row: 1.0",
)
