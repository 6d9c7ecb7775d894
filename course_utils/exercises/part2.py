"""Part 2 exercises: tensors, dtypes and bytes.

Each checker works the expected value out with torch (imported inside the checker, so importing
this module stays cheap) rather than comparing with a number typed in here.
"""

from __future__ import annotations

from typing import Any

from . import Exercise, as_number, as_whole, needs

__all__ = ["q1", "q2", "q3", "q4"]


def _check_q1(answer: Any, *_: Any, **__: Any) -> str | None:
    import torch

    if not isinstance(answer, torch.Tensor):
        return f"the answer should be a tensor, got {type(answer).__name__}"
    if tuple(answer.shape) != (3, 4):
        return f"its shape is {tuple(answer.shape)}, the question asks for (3, 4)"
    if answer.dtype != torch.bfloat16:
        return f"its dtype is {answer.dtype}, the question asks for torch.bfloat16"
    expected = torch.arange(12, dtype=torch.bfloat16).reshape(3, 4)
    if not torch.equal(answer.cpu(), expected):
        return "the shape and dtype are right, but it should hold the numbers 0 to 11 in order"
    return None


q1 = Exercise(
    name="part2.q1",
    prompt="Make a tensor holding the numbers 0 to 11 as a 3 x 4 matrix, in bfloat16.",
    checker=_check_q1,
    hint_text="torch.arange(12) gives 0..11; .reshape(3, 4) changes the shape; pass "
    "dtype=torch.bfloat16 to arange (or call .to(torch.bfloat16)).",
    solution_text="answer = torch.arange(12, dtype=torch.bfloat16).reshape(3, 4)",
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


def _check_q3(answer: Any, *_: Any, **__: Any) -> str | None:
    import torch

    value, problem = as_number(answer)
    if problem:
        return problem
    value = float(value)
    in_fp16 = torch.tensor(value, dtype=torch.float16)
    in_bf16 = torch.tensor(value, dtype=torch.bfloat16)
    if torch.isfinite(in_fp16):
        return (
            f"{value!r} still fits in float16 (it is stored as {in_fp16.item()!r}); the "
            f"largest float16 is {torch.finfo(torch.float16).max!r}, and a number rounds to inf "
            "only from 65520 up"
        )
    if not torch.isfinite(in_bf16):
        return f"{value!r} is too big for bfloat16 as well: pick something smaller"
    return None


q3 = Exercise(
    name="part2.q3",
    prompt="Give a number that becomes inf in float16 but stays finite in bfloat16.",
    checker=_check_q3,
    hint_text="torch.finfo(torch.float16).max is the largest float16; "
    "torch.finfo(torch.bfloat16).max "
    "is far larger. Anything comfortably between the two works.",
    solution_text="answer = 100_000.0\n"
    "# torch.tensor(answer, dtype=torch.float16)  -> inf\n"
    "# torch.tensor(answer, dtype=torch.bfloat16) -> 99840. (finite, a little rounded)",
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
