"""Part 2 exercises: tensors, dtypes and bytes.

Each checker works the expected value out with torch (imported inside the checker, so importing
this module stays cheap) rather than comparing with a number typed in here.
"""

from __future__ import annotations

from typing import Any

from . import Exercise, as_number, as_whole, clock, function, short_repr

__all__ = ["q1", "q2", "q3", "q4", "q5"]


# q1 converts these to three integer dtypes: out of every range both ways, fractions that
# truncation and rounding tell apart (none ends in .5, where rounding rules differ), and values far
# beyond int32 (which a plain conversion on x86 turns into 0). Whole numbers and
# fractions, so the answer must round, and each dtype's range differs: int8's -128..127 copied
# from above fails uint8 and int16. The same values come once as float32 and once as float16:
# float16 cannot hold int16's largest value (32767 becomes 32768), so a clamp done in float16
# leaves 60000 at 32768, out of range, and the conversion wraps it.
Q1_VALUES = (
    200.0, -3e9, 2.6, -2.6, 127.4, -128.6, 1e10, -0.7, 56.2, float("inf"), -1000.0,
    255.6, 300.2, 40000.0, -40000.0, 32767.4, -32768.6, 65535.9, 60000.0,
)  # fmt: skip
Q1_DTYPES = ("int8", "uint8", "int16")
Q1_FLOATS = ("float32", "float16")


@function("to_int(x, dtype)", "runs it on values and dtypes of its own")
def _check_q1(answer: Any, *_: Any, **__: Any) -> str | None:
    import torch

    for float_name in Q1_FLOATS:
        x = torch.tensor(Q1_VALUES, dtype=getattr(torch, float_name))
        for name in Q1_DTYPES:
            dtype = getattr(torch, name)
            call = f"to_int(x, torch.{name}) with x in {float_name}"
            given = x.clone()
            got = answer(given, dtype)
            if not torch.equal(given, x):
                return (
                    f"{call} changed the tensor it was given (round_() and clamp_() work in "
                    "place): the caller's values are gone. Use round() and clamp(), which return "
                    "new tensors, as the Gotchas show for .half()"
                )
            if not isinstance(got, torch.Tensor):
                return f"{call} should return a tensor, not {type(got).__name__}"
            if tuple(got.shape) != tuple(x.shape):
                return (
                    f"for {len(x)} values {call} returned shape {tuple(got.shape)}: one per value"
                )
            if got.dtype != dtype:
                return f"{call} returned dtype {got.dtype}: convert to the dtype it is given, last"
            problem = _q1_values(got.cpu(), x, dtype, call)
            if problem:
                return problem
    return None


def _q1_values(got: Any, x: Any, dtype: Any, call: str) -> str | None:
    """What is wrong with the values one dtype's conversion gave (None: they are right)."""
    import torch

    info = torch.iinfo(dtype)
    # float64 holds every limit of these dtypes and every float32/float16 value exactly
    want = x.double().round().clamp(info.min, info.max).to(dtype)
    if torch.equal(got, want):
        return None
    with torch.no_grad():
        wrongs = {
            "plain": x.to(dtype),
            "truncated": x.clamp(info.min, info.max).to(dtype),
            "unclamped": x.round().to(dtype),
            "int8 range": x.round().clamp(-128, 127).to(dtype),
            "clamped in float16": x.round().clamp(info.min, info.max).to(dtype),
        }
    mine, right = got.tolist(), want.tolist()
    bad = next(i for i, (g, w) in enumerate(zip(mine, right, strict=True)) if g != w)
    example = f"{x[bad].item():g} became {mine[bad]}, not {right[bad]}"
    if torch.equal(got, wrongs["plain"]):
        return (
            f"{call} is a plain .to(): {example}. Out-of-range values wrap or become 0: round, "
            "clamp into the dtype's range, then convert"
        )
    if torch.equal(got, wrongs["truncated"]):
        return f"{call}: {example}. The range is right, but conversion truncates: round first"
    if torch.equal(got, wrongs["unclamped"]):
        return f"{call}: {example}. Rounded, but not clamped into the dtype's range"
    if torch.equal(got, wrongs["int8 range"]) and dtype != torch.int8:
        return (
            f"{call}: {example}. That is int8's range, -128..127, for every dtype: read the "
            "range of the dtype you are given from torch.iinfo(dtype).min and .max"
        )
    if x.dtype == torch.float16 and torch.equal(got, wrongs["clamped in float16"]):
        return (
            f"{call}: {example}. The clamp ran in float16, which cannot hold {info.max} (it "
            f"stores {torch.tensor(info.max, dtype=torch.float16).item():g}), so the clamped "
            "value is still out of range and wraps: convert to float32 first (x.float())"
        )
    if info.min == 0 and any(v < 0 for v in mine):
        return f"{call}: {example}. uint8 has no negative numbers: its range is 0..255"
    return f"{call}: {example}, the nearest {str(dtype)[6:]} (torch.iinfo gives its range)"


q1 = Exercise(
    name="part2.q1",
    prompt="Write to_int(x, dtype): convert a float32 or float16 tensor to int8, uint8 or int16 "
    "(the dtype given) so that every value becomes the nearest number that dtype holds (out of "
    "range: its smallest or largest), never a wrapped or zeroed one.",
    checker=_check_q1,
    usage="part2.q1.check(to_int)",
    hint_text="torch.iinfo(dtype) knows an integer dtype's range: .min and .max (for int8, -128 "
    "and 127). Work in float32 (x.float()), which holds those limits exactly (float16 does not "
    "hold 32767); round to the nearest whole number, clamp into the range, convert last.",
    solution_text="def to_int(x, dtype):\n"
    "    info = torch.iinfo(dtype)\n"
    "    x = x.float()  # float16 cannot hold int16's 32767; float32 holds all three ranges\n"
    "    return x.round().clamp(info.min, info.max).to(dtype)\n\n"
    "# 300.2 is above uint8's 255, -2.6 below its 0, 2.6 rounds to 3:\n"
    "print(to_int(torch.tensor([300.2, -2.6, 2.6]), torch.uint8))   # [255, 0, 3]\n"
    "part2.q1.check(to_int)",
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


T4_GIB = 15  # a T4's memory as nvidia-smi shows it: 15360 MiB, which is 15 GiB
T4_GB = T4_GIB * 2**30 / 1e9  # the same in GB (10**9 bytes): about 16.1
Q2_PARAMS = 7_000_000_000


@function("weights_gb(n_params, dtype)", "calls it on dtypes of its own")
def _check_q2(
    answer: Any, fits_fp32: Any = None, fits_fp16: Any = None, *_: Any, **__: Any
) -> str | None:
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
    """The use of weights_gb: does a 7B model fit a T4's 15 GiB in float32, in float16?"""
    import torch

    if fits_fp32 is None or fits_fp16 is None:
        return (
            "weights_gb is right; now use it and pass your two answers too: "
            "part2.q2.check(weights_gb, fits_fp32, fits_fp16)"
        )
    if fits_fp32 is ... or fits_fp16 is ...:
        return (
            "weights_gb is right; now replace the ... of fits_fp32 and fits_fp16 with a "
            "comparison that uses it, such as weights_gb(7e9, torch.float32) <= 15 * 2**30 / 1e9"
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
                f"weights_gb(7e9, torch.{str(dtype)[6:]}) <= 15 * 2**30 / 1e9; "
                f"got {short_repr(got)}"
            )
        if got != want:
            return (
                f"{name} is {got}, but 7 billion parameters in {str(dtype)[6:]} take {gb:g} GB, "
                f"{'more' if gb > T4_GB else 'less'} than a T4's {T4_GIB} GiB ({T4_GB:.1f} GB)"
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
    "weights_gb(7e9, ...) with a T4's 15 GiB in GB, 15 * 2**30 / 1e9 (about 16.1), for each dtype.",
    solution_text="def weights_gb(n_params, dtype):\n"
    "    return n_params * dtype.itemsize / 1e9\n\n"
    "t4_gb = 15 * 2**30 / 1e9                            # 15 GiB is about 16.1 GB\n"
    "fits_fp32 = weights_gb(7e9, torch.float32) <= t4_gb   # 28 GB: False\n"
    "fits_fp16 = weights_gb(7e9, torch.float16) <= t4_gb   # 14 GB: True\n"
    "part2.q2.check(weights_gb, fits_fp32, fits_fp16)\n"
    "# 14 GB of weights in 16.1 GB fits, with about 2 GB to spare for everything else: the CUDA\n"
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
    "# In bfloat16 it stays finite, stored as 65536.0: same 8 exponent bits as float32.",
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


@function("proportions(counts)", "runs it on counts of its own")
def _check_q4(answer: Any, *_: Any, **__: Any) -> str | None:
    import torch

    for counts in _q4_inputs():
        shape = tuple(counts.shape)
        given = counts.clone()
        try:
            out = answer(given)
        except RuntimeError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return (
                f"for counts of shape {shape} proportions raised RuntimeError "
                f"({short_repr(first, 100)}): without keepdim=True the row totals have shape "
                "(rows,), which lines up with the columns, not the rows"
            )
        if not torch.equal(given, counts):
            return (
                "proportions changed the counts it was given (div_() and the other methods "
                "ending in _ work in place): the caller's counts are gone. Use / or div(), "
                "which return a new tensor, as the Gotchas show for .half()"
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


# ----- q5: repair a GPU timer ----------------------------------------------------------------

# Each script: the warm-up, then the work of each later call, in seconds (a call past the end
# repeats the last). In the first the fastest timed run is the first one (so a warm-up that was
# never waited for lands in it); in the second it is the last; in the third the warm-up is
# the quickest call of all (a warm-up is not always slow), so a result that keeps it is wrong.
# The three timed runs take 0.20 s in all in each script. A timing that never waits for the
# queue reads microseconds.
Q5_SCRIPTS = (
    (0.30, 0.03, 0.08, 0.09),
    (0.30, 0.08, 0.09, 0.03),
    (0.012, 0.08, 0.03, 0.09),
)
Q5_BEST = 0.03
Q5_SLACK = 1e-4  # the stand-in GPU runs on a virtual clock (clock.py): only float rounding

# What the notebook hands the learner to repair: it times the warm-up, reads the clock before the
# queued work has run, and averages. (The checker's tests run it, so the text stays true.)
Q5_BUGGY = '''def timed(fn, sync):
    """Seconds for one run of fn() on a GPU. BUGGY: three mistakes to repair."""
    runs = []
    for _ in range(4):                 # four runs; the first is the warm-up
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    sync()                             # wait for the GPU to finish
    return sum(runs) / len(runs)
'''


@function("timed(fn, sync)", "hands it a stand-in GPU")
def _check_q5(answer: Any, *_: Any, **__: Any) -> str | None:
    values, cold_timed, unsynced = [], False, False
    for durations in Q5_SCRIPTS:
        gpu = clock.FakeGPU(durations)
        with clock.watching(gpu.log, answer):
            returned = answer(gpu.launch, gpu.sync)
        gpu.sync()  # let the queue drain before the next script
        value, problem = clock.seconds_returned(returned, "timed(fn, sync)", gpu.calls)
        if problem:
            return problem
        if gpu.syncs == 1:  # only the checker's own
            return (
                "timed never called sync(): on a GPU, fn() only queues the work, so the "
                f"clock read {value:.6f} s, the launch. Call sync() before reading the clock"
            )
        values.append(value)
        cold_timed = cold_timed or gpu.log.cold_call_timed()
        unsynced = unsynced or gpu.log.warmup_not_waited_for()
    return _judge_q5(values, cold_timed, unsynced)


def _judge_q5(values: list[float], cold_timed: bool, unsynced: bool) -> str | None:
    """The verdict on the seconds timed returned for each script."""
    near = lambda v, t: abs(v - t) <= Q5_SLACK  # noqa: E731
    if max(values) > 10:
        return f"{max(values):g} looks like milliseconds: give seconds"
    if min(values) < 0.008:
        return (
            f"{min(values):.6f} s is far less than the work takes: the clock was read while the "
            "work was still queued. Call sync() after each fn() and BEFORE reading the clock"
        )
    if all(near(v, Q5_BEST) for v in values):
        return None  # the warm-up may have been on the clock, as long as it was left out
    if unsynced:
        return (
            "the clock started while the warm-up's work was still queued, so the first timed "
            "run also held the end of the warm-up: call sync() after the warm-up call too"
        )
    warmups = [script[0] for script in Q5_SCRIPTS]
    if cold_timed and any(abs(v - w) <= Q5_SLACK / 2 for v, w in zip(values, warmups, strict=True)):
        return (
            "one result was the warm-up call's own time (here the warm-up was the quickest "
            "call): leave the warm-up out of the runs you keep"
        )
    slowest = [max(script[1:]) for script in Q5_SCRIPTS]
    if all(abs(v - m) <= Q5_SLACK / 2 for v, m in zip(values, slowest, strict=True)):
        return (
            "that is the slowest timed run (max); keep the fastest (min): the slower ones were "
            "disturbed by other work"
        )
    if all(near(v, 0.20 / 3) for v in values):
        return (
            "that is the mean of the timed runs; keep the fastest (min): the slower ones were "
            "disturbed by other work"
        )
    if any(near(v, (w + 0.20) / 4) for v, w in zip(values, warmups, strict=True)):
        return "that is a mean that includes the warm-up: leave it out, and keep the fastest run"
    if cold_timed:
        return (
            "the clock was read before and after the first call, and the result is not the "
            "fastest timed run: call fn() and sync() once before the clock starts, then time "
            "the runs and keep the fastest"
        )
    if any(near(v, Q5_BEST) for v in values):
        return (
            "in one script your result was the fastest timed run, in another it was not: "
            "return min(runs), the fastest, whatever its place"
        )
    return f"{values[0]:g} s is not the fastest timed run (the checker knows it: {Q5_BEST:g} s)"


q5 = Exercise(
    name="part2.q5",
    prompt="Repair timed(fn, sync): one untimed warm-up call of fn(), then at least three timed "
    "runs, each waited for with sync() before the clock is read; return the fastest in seconds.",
    checker=_check_q5,
    usage="part2.q5.check(timed)",
    hint_text="Three rules from the timing section: the warm-up's time is not kept (and its "
    "work is waited for with sync() before the clock starts); sync() goes after each fn() and "
    "before the clock is read, not once at the end; and the result is min(runs), not the "
    "mean. On a GPU, sync is torch.cuda.synchronize; on a CPU, lambda: None does.",
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
    "    return min(runs)             # the least disturbed run\n\n"
    "part2.q5.check(timed)\n"
    'dev = "cuda" if torch.cuda.is_available() else "cpu"\n'
    'sync = torch.cuda.synchronize if dev == "cuda" else (lambda: None)\n'
    "a, b = torch.randn(512, 512, device=dev), torch.randn(512, 512, device=dev)\n"
    "seconds = timed(lambda: a @ b, sync)\n"
    'print(f"{2 * 512**3 / seconds / 1e9:.1f} GFLOP/s on {dev}")',
)
