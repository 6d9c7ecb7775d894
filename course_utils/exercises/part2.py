"""Part 2 exercises: tensors, dtypes and bytes.

Each checker works the expected value out with torch (imported inside the checker, so importing
this module stays cheap) rather than comparing with a number typed in here.
"""

from __future__ import annotations

from typing import Any

from . import Exercise, as_number, as_whole, clock, short_repr

__all__ = ["q1", "q2", "q3", "q4", "q5"]


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
    given = x.clone()
    got = answer(given)
    if not torch.equal(given, x):
        return (
            "to_int8 changed the tensor it was given (round_() and clamp_() work in place): "
            "the caller's values are gone. Use round() and clamp(), which return new tensors, "
            "as the Gotchas show for .half()"
        )
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


# q2 asks about dtypes the part shows and ones it never does, so a typed-in table cannot cover
# them all; the number of weights changes too
Q2_CASES = (
    (7_000_000_000, "bfloat16"),
    (7_000_000_000, "float32"),
    (135_000_000, "float64"),
    (4096 * 4096, "int16"),
    (1_000_000_000, "float8_e4m3fn"),
    (3_000_000, "uint8"),
    (500_000, "complex64"),
)


T4_GB = 15  # what the question calls a T4's usable memory
Q2_PARAMS = 7_000_000_000


def _check_q2(
    answer: Any, fits_fp32: Any = None, fits_fp16: Any = None, *_: Any, **__: Any
) -> str | None:
    if not callable(answer):
        return (
            "pass your function itself (def weights_gb(n_params, dtype): ...), not "
            f"{short_repr(answer, 60)}: the checker calls it on dtypes of its own"
        )
    import torch

    for n, name in Q2_CASES:
        dtype = getattr(torch, name)
        # the bytes of one number, from a meta tensor: real sizes, no memory
        size = torch.empty(1, dtype=dtype, device="meta").element_size()
        expected = n * size / 1e9
        got, problem = as_number(answer(n, dtype), f"weights_gb({n:_}, torch.{name})")
        if problem:
            return problem
        close = lambda v, e=expected: abs(v - e) <= 1e-6 * e  # noqa: E731
        call = f"weights_gb({n:_}, torch.{name})"
        if close(got):
            continue
        if close(got / 1e9):
            return f"{call} gave {got:,}: that is bytes; divide by 10**9 for GB"
        if close(got * 2**30 / 1e9):
            return f"{call} gave {got:g}: that is GiB (2**30 bytes); the question asks for GB"
        if close(got / 8):
            return f"{call} gave {got:g}: that counts bits; a byte is 8 bits"
        other = [k for k in (1, 2, 4, 8, 16) if k != size]
        if any(abs(got - n * k / 1e9) <= 1e-6 * n * k / 1e9 for k in other):
            return (
                f"{call} gave {got:g}, the answer for another dtype: read the bytes per number "
                "from the dtype you are given (dtype.itemsize), not from a table you typed"
            )
        return f"{call} gave {got:g}, but {n:_} numbers in torch.{name} take {expected:g} GB"
    return _check_fits(fits_fp32, fits_fp16)


def _check_fits(fits_fp32: Any, fits_fp16: Any) -> str | None:
    """The use of weights_gb: does a 7B model fit a T4's 15 GB in float32, in float16?"""
    import torch

    if fits_fp32 is None or fits_fp16 is None:
        return (
            "weights_gb is right; now use it and pass your two answers too: "
            "part2.q2.check(weights_gb, fits_fp32, fits_fp16)"
        )
    if fits_fp32 is ... or fits_fp16 is ...:
        return (
            "weights_gb is right; now replace the ... of fits_fp32 and fits_fp16 with True or "
            "False, computed with it"
        )
    for name, got, dtype in (
        ("fits_fp32", fits_fp32, torch.float32),
        ("fits_fp16", fits_fp16, torch.float16),
    ):
        gb = Q2_PARAMS * dtype.itemsize / 1e9
        want = gb <= T4_GB
        if isinstance(got, torch.Tensor) and got.numel() == 1 and got.dtype == torch.bool:
            got = bool(got)
        if not isinstance(got, bool):
            return (
                f"{name} should be True or False, from a comparison such as "
                f"weights_gb(7e9, torch.{str(dtype)[6:]}) <= 15; got {short_repr(got)}"
            )
        if got != want:
            return (
                f"{name} is {got}, but 7 billion parameters in {str(dtype)[6:]} take {gb:g} GB, "
                f"{'more' if gb > T4_GB else 'less'} than a T4's {T4_GB} GB"
            )
    return None


q2 = Exercise(
    name="part2.q2",
    prompt="Write weights_gb(n_params, dtype): the GB (10**9 bytes) that n_params numbers take "
    "in a torch dtype, with the bytes per number read from the dtype itself.",
    checker=_check_q2,
    usage="part2.q2.check(weights_gb, fits_fp32, fits_fp16)",
    hint_text="A torch dtype knows its size: torch.bfloat16.itemsize is 2 (bytes per number). "
    "Multiply by n_params and divide by 10**9. The checker tries dtypes this part never "
    "showed, such as float64 and float8_e4m3fn, so a table of four will not do. Then compare "
    "weights_gb(7e9, ...) with 15 for each dtype.",
    solution_text="def weights_gb(n_params, dtype):\n"
    "    return n_params * dtype.itemsize / 1e9\n\n"
    "fits_fp32 = weights_gb(7e9, torch.float32) <= 15   # 28 GB: False\n"
    "fits_fp16 = weights_gb(7e9, torch.float16) <= 15   # 14 GB: True\n"
    "part2.q2.check(weights_gb, fits_fp32, fits_fp16)\n"
    "# 14 GB of weights in 15 GB fits, with about 1 GB to spare for everything else: the CUDA\n"
    "# context, the activations and, for text generation, the KV cache (Part 8).",
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


# q4 runs the learner's function on batches of counts of its own: other shapes, a row of zeros
# but one, so a pasted result or a list typed in cannot pass
def _q4_inputs() -> list[Any]:
    import torch

    gen = torch.Generator().manual_seed(2)
    return [
        torch.tensor([[1.0, 3.0, 0.0, 4.0], [2.0, 2.0, 2.0, 2.0], [5.0, 0.0, 1.0, 4.0]]),
        torch.randint(1, 20, (5, 3), generator=gen).float(),
        torch.tensor([[0.0, 7.0], [3.0, 1.0]]),
        torch.randint(1, 9, (2, 6), generator=gen).float(),
    ]


def _torch_calls(fn: Any, counts: Any) -> int:
    """How many torch operations fn(counts) runs: a loop over the rows runs more for more
    rows, one broadcast division the same number for any size."""
    from torch.overrides import TorchFunctionMode

    class Counting(TorchFunctionMode):
        calls = 0

        def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
            Counting.calls += 1
            return func(*args, **(kwargs or {}))

    with Counting():
        fn(counts)
    return Counting.calls


def _check_q4(answer: Any, *_: Any, **__: Any) -> str | None:
    if not callable(answer):
        return (
            "pass your function itself (def proportions(counts): ...), not "
            f"{short_repr(answer, 60)}: the checker runs it on counts of its own"
        )
    import torch

    for counts in _q4_inputs():
        shape = tuple(counts.shape)
        try:
            out = answer(counts.clone())
        except RuntimeError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return (
                f"for counts of shape {shape} proportions raised RuntimeError "
                f"({short_repr(first, 100)}): without keepdim=True the row totals have shape "
                "(rows,), which lines up with the columns, not the rows"
            )
        if not isinstance(out, torch.Tensor):
            return (
                f"proportions returned {type(out).__name__}: return the tensor the division "
                "gives (the checker gives it counts of other shapes)"
            )
        got = out.detach().cpu().double()
        if tuple(got.shape) != shape:
            return (
                f"for counts of shape {shape} it returned shape {tuple(got.shape)}: each row "
                "should keep its place; without keepdim=True the row totals have shape (rows,), "
                "which does not line up with the rows"
            )
        c = counts.double()
        close = lambda t, g=got: torch.allclose(g, t, rtol=1e-3, atol=1e-4)  # noqa: E731
        if close(c / c.sum(dim=1, keepdim=True)):
            continue
        if close(c / c.sum(dim=0, keepdim=True)):
            return "each COLUMN sums to 1: dim=0 adds down the columns; the rows are along dim=1"
        if close(c / c.sum()):
            return "the whole matrix sums to 1: a sum without dim= adds every element"
        if close(c.softmax(dim=1)):
            return "that is a softmax, which exponentiates first; divide by the row totals instead"
        return (
            f"for counts of shape {shape} the rows do not each sum to 1 in the proportions of "
            "counts (the checker uses counts of its own, so a result worked out for the "
            "exercise's counts does not carry over)"
        )
    few, many = (torch.ones(rows, 4) for rows in (3, 30))
    if _torch_calls(answer, many) > _torch_calls(answer, few):
        return (
            "right numbers, but your function does more work for more rows: a loop over the "
            "rows. Divide the whole table at once by its row totals, broadcast"
        )
    return None


q4 = Exercise(
    name="part2.q4",
    prompt="Write proportions(counts): divide each row of a 2-D `counts` tensor by that row's "
    "total, so that every row sums to 1, with one sum(dim=..., keepdim=...) and broadcasting.",
    checker=_check_q4,
    usage="part2.q4.check(proportions)",
    hint_text="counts.sum(dim=1) gives one total per row, shape (rows,). keepdim=True keeps it "
    "as a column, shape (rows, 1), which broadcasts across each row when you divide.",
    solution_text="def proportions(counts):\n"
    "    return counts / counts.sum(dim=1, keepdim=True)\n\n"
    "print(proportions(counts).sum(dim=1))   # every row: 1.0\n"
    "part2.q4.check(proportions)",
)


# ----- q5: timing work on a GPU --------------------------------------------------------------

# Each script: the warm-up, then the work of each later call, in seconds. In the first the
# fastest timed run is the first one (so a warm-up that was never waited for lands in it); in
# the second it is the last. A timing that never waits for the queue reads microseconds.
Q5_SCRIPTS = ((0.30, 0.03, 0.08, 0.09), (0.30, 0.08, 0.09, 0.03))
Q5_BEST = 0.03
Q5_SLACK = 0.025  # time.sleep overshoots a little on a busy machine


def _check_q5(answer: Any, *_: Any, **__: Any) -> str | None:
    if not callable(answer):
        return (
            "pass your function itself (def timed(fn, sync): ...), not "
            f"{short_repr(answer, 60)}: the checker hands it a stand-in GPU"
        )
    values, cold_timed, unsynced = [], False, False
    for durations in Q5_SCRIPTS:
        gpu = clock.FakeGPU(durations)
        with clock.watching(gpu.log, answer):
            returned = answer(gpu.launch, gpu.sync)
        gpu.sync()  # let the queue drain before the next script
        value, problem = as_number(returned, "what timed(fn, sync) returned")
        if problem:
            return problem
        if gpu.calls < 4:
            return (
                f"timed called fn {gpu.calls} time(s): once to warm up, then three timed "
                "runs (4 calls in all)"
            )
        if gpu.syncs == 1:  # only the checker's own
            return (
                "timed never called sync(): on a GPU, fn() only queues the work, so the "
                f"clock read {value:.6f} s, the launch. Call sync() before reading the clock"
            )
        values.append(value)
        cold_timed = cold_timed or gpu.log.cold_call_timed()
        unsynced = unsynced or gpu.log.warmup_not_waited_for()
    first, second = values
    near = lambda v, t: t <= v <= t + Q5_SLACK  # noqa: E731
    if first > 10:
        return f"{first:g} looks like milliseconds: give seconds"
    if min(first, second) < 0.01:
        return (
            f"{min(first, second):.6f} s is far less than the work takes: the clock was read "
            "while the work was still queued. Call sync() after fn() and BEFORE reading the clock"
        )
    if cold_timed:
        return (
            "the clock was read before and after the first call: the warm-up was timed. "
            "Call fn() and sync() once before the clock starts, then time three runs"
        )
    if unsynced:
        return (
            "the clock started while the warm-up's work was still queued, so the first timed "
            "run also held the end of the warm-up: call sync() after the warm-up call too"
        )
    if near(first, Q5_BEST) and near(second, Q5_BEST):
        return None
    if near(first, Q5_BEST) or near(second, Q5_BEST):
        return "keep the fastest of the timed runs (min), not the first or the last"
    return f"{first:g} s is not the fastest timed run (the checker knows it: {Q5_BEST:g} s)"


q5 = Exercise(
    name="part2.q5",
    prompt="Write timed(fn, sync): one untimed warm-up call of fn(), then three timed runs, each "
    "waited for with sync() before the clock is read; return the fastest in seconds.",
    checker=_check_q5,
    usage="part2.q5.check(timed)",
    hint_text="Like best_of above, with the wait made explicit: fn(); sync(); then for each run "
    "start = time.perf_counter(); fn(); sync(); runs.append(time.perf_counter() - start). On a "
    "GPU, sync is torch.cuda.synchronize; on a CPU, lambda: None does (nothing is queued).",
    solution_text="import time\n\n"
    "def timed(fn, sync):\n"
    "    fn()\n"
    "    sync()                       # the warm-up has finished before the clock starts\n"
    "    runs = []\n"
    "    for _ in range(3):\n"
    "        start = time.perf_counter()\n"
    "        fn()\n"
    "        sync()                   # wait for the work, not just its launch\n"
    "        runs.append(time.perf_counter() - start)\n"
    "    return min(runs)\n\n"
    "part2.q5.check(timed)\n"
    'dev = "cuda" if torch.cuda.is_available() else "cpu"\n'
    'sync = torch.cuda.synchronize if dev == "cuda" else (lambda: None)\n'
    "a, b = torch.randn(512, 512, device=dev), torch.randn(512, 512, device=dev)\n"
    "seconds = timed(lambda: a @ b, sync)\n"
    'print(f"{2 * 512**3 / seconds / 1e9:.1f} GFLOP/s on {dev}")',
)
