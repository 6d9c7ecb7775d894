"""Part 2 exercises: each checker accepts the right answer and rejects
wrong ones with a message that says what is off."""

import statistics

import torch

from course_utils.exercises import part2
from tests.verdicts import right, wrong


def to_int(x, dtype):
    info = torch.iinfo(dtype)
    return x.float().round().clamp(info.min, info.max).to(dtype)


def test_q1_to_int_right_forms():
    right(part2.q1, to_int)

    def spelled_out(x, dtype):
        lo, hi = torch.iinfo(dtype).min, torch.iinfo(dtype).max
        return torch.clamp(torch.round(x.to(torch.float32)), min=lo, max=hi).to(dtype)

    right(part2.q1, spelled_out)
    right(
        part2.q1,
        lambda x, d: x.float().clamp(torch.iinfo(d).min, torch.iinfo(d).max).round().to(d),
    )
    right(
        part2.q1,
        lambda x, d: (
            torch.floor(x.double() + 0.5).clamp(torch.iinfo(d).min, torch.iinfo(d).max).to(d)
        ),
    )


def test_q1_refuses_a_clamp_done_in_float16():
    # review: float16 stores int16's 32767 as 32768, so clamping in float16 leaves 60000 out of
    # range and the conversion wraps it; the rule "round, clamp, convert" needs limits the float
    # dtype holds exactly
    assert torch.tensor(32767, dtype=torch.float16).item() == 32768
    assert torch.tensor(2**31 - 1, dtype=torch.float32) == 2**31

    def clamp_in_input_dtype(x, d):
        return x.round().clamp(torch.iinfo(d).min, torch.iinfo(d).max).to(d)

    wrong(part2.q1, clamp_in_input_dtype, says="float16, which cannot hold 32767")
    # the float32 input alone would pass: the float16 one is what catches it
    x = torch.tensor(part2.Q1_VALUES)
    assert torch.equal(clamp_in_input_dtype(x, torch.int16), to_int(x, torch.int16))


def test_q1_refuses_wrap_truncation_a_copied_range_and_the_wrong_dtype():
    # review: q1 was cell 48's int8 line inside a def; now the range must be read from iinfo
    int8 = lambda x, d: x.round().clamp(-128, 127).to(d)  # noqa: E731
    wrong(part2.q1, int8, says="torch.iinfo(dtype).min")
    wrong(part2.q1, lambda x, d: x.to(d), says="plain .to()")
    wrong(
        part2.q1,
        lambda x, d: x.clamp(torch.iinfo(d).min, torch.iinfo(d).max).to(d),
        says="round first",
    )
    wrong(part2.q1, lambda x, d: x.round().to(d), says="not clamped")
    wrong(
        part2.q1,
        lambda x, d: x.round().clamp(torch.iinfo(d).min, torch.iinfo(d).max),
        says="returned dtype",
    )
    wrong(part2.q1, lambda x, d: to_int(x, torch.int8), says="returned dtype")

    def signed(x, d):  # the signed range for the dtype's size: wrong for uint8
        top = 2 ** (d.itemsize * 8 - 1)
        return x.round().clamp(-top, top - 1).to(d)

    wrong(part2.q1, signed, says="iinfo")
    wrong(part2.q1, lambda x, d: to_int(x, d)[:3], says="one per value")
    wrong(part2.q1, lambda x, d: to_int(x, d).tolist(), says="tensor")
    wrong(part2.q1, torch.arange(12, dtype=torch.bfloat16).reshape(3, 4), says="function itself")


def test_q1_refuses_changing_the_callers_tensor():
    # review: round_()/clamp_() gave the right integers but overwrote the learner's tensor
    def in_place(x, d):
        return x.round_().clamp_(torch.iinfo(d).min, torch.iinfo(d).max).to(d)

    wrong(part2.q1, in_place, says="in place")


def weights_gb(n_params, dtype):
    return n_params * dtype.itemsize / 1e9


def test_q2_weights_gb_from_the_dtype():
    right(part2.q2, weights_gb, False, True)
    right(
        part2.q2,
        lambda n, dt: (
            n
            * (
                torch.finfo(dt).bits
                if dt.is_floating_point and not dt.is_complex
                else torch.empty(0, dtype=dt).element_size() * 8
            )
            / 8
            / 1e9
        ),
        False,
        True,
    )
    right(part2.q2, lambda n, dt: torch.empty(n, dtype=dt, device="meta").nbytes / 1e9, False, True)
    right(part2.q2, lambda n, dt: torch.tensor(n * dt.itemsize / 1e9), False, True)  # 0-dim


def test_q2_the_t4_question_is_checked_too():
    # review 3: "does a 7B model fit a T4 in bfloat16?" was asked and never checked
    right(part2.q2, weights_gb, weights_gb(7e9, torch.float32) <= 15, torch.tensor(True))
    wrong(part2.q2, weights_gb, says="pass your two answers too")
    wrong(part2.q2, weights_gb, ..., ..., says="replace the ...")
    wrong(part2.q2, weights_gb, True, True, says="fits_fp32 is True")
    wrong(part2.q2, weights_gb, False, False, says="fits_fp16 is False")
    wrong(part2.q2, weights_gb, "no", "yes", says="True or False")


def test_q2_refuses_recall_a_typed_table_and_wrong_units():
    # review 2: q2 was recall (bytes of one bfloat16 tensor); a typed-in table is the wrong way
    table = {torch.float32: 4, torch.float16: 2, torch.bfloat16: 2, torch.int8: 1}
    wrong(part2.q2, lambda n, dt: n * table[dt] / 1e9, False, True, says="KeyError")
    wrong(part2.q2, lambda n, dt: n * table.get(dt, 2) / 1e9, says="dtype.itemsize")
    wrong(part2.q2, lambda n, dt: n * dt.itemsize, says="that is bytes")
    wrong(part2.q2, lambda n, dt: n * dt.itemsize / 2**30, says="GiB")
    wrong(part2.q2, lambda n, dt: n * dt.itemsize * 8 / 1e9, says="bits")
    wrong(part2.q2, 4096 * 4096 * 2, says="function itself")  # the old question's answer
    wrong(part2.q2, lambda n, dt: "14 GB", says="not quite")


def test_q3_smallest_whole_number_that_overflows_float16():
    right(part2.q3, 65520)
    right(part2.q3, 65520.0)  # a whole float
    right(part2.q3, torch.tensor(65520))
    assert torch.isinf(torch.tensor(65520.0, dtype=torch.float16))
    assert torch.isfinite(torch.tensor(65519.0, dtype=torch.float16))
    assert torch.isfinite(
        torch.tensor(65520.0, dtype=torch.bfloat16)
    )  # finite in bfloat16 (stored as 65536)
    wrong(part2.q3, 65504, says="still fits in float16")  # the largest float16 itself
    wrong(part2.q3, 65505, says="stored as 65504.0")  # rounds back down: not inf
    wrong(part2.q3, 65519, says="still fits")
    wrong(part2.q3, 65536, says="a smaller whole number")
    wrong(part2.q3, 100_000, says="a smaller whole number")  # the old question's answer
    wrong(part2.q3, 65519.99, says="whole number")  # review: its message said "65520 fits"
    wrong(part2.q3, "big", says="not quite")


COUNTS = torch.tensor([[1.0, 3.0, 0.0, 4.0], [2.0, 2.0, 2.0, 2.0], [5.0, 0.0, 1.0, 4.0]])


def test_q4_row_normalisation_in_any_honest_form():
    right(part2.q4, lambda c: c / c.sum(dim=1, keepdim=True))
    right(part2.q4, lambda c: c / c.sum(dim=1)[:, None])  # indexing instead of keepdim
    right(part2.q4, lambda c: (c / c.sum(dim=1, keepdim=True)).half())  # lower precision
    right(part2.q4, lambda c: torch.nn.functional.normalize(c, p=1, dim=1))
    right(part2.q4, lambda c: (c.T / c.sum(1)).T)


def test_q4_refuses_the_known_wrong_ways():
    wrong(part2.q4, lambda c: c / c.sum(dim=0, keepdim=True), says="COLUMN")
    wrong(part2.q4, lambda c: c / c.sum(dim=1), says="keepdim=True")  # (3,4) / (3,): an error
    wrong(part2.q4, lambda c: c / c.sum(), says="without dim=")
    wrong(part2.q4, lambda c: c.softmax(dim=1), says="softmax")
    wrong(part2.q4, lambda c: c.sum(dim=1, keepdim=True), says="shape")  # totals, not division
    wrong(part2.q4, lambda c: torch.ones_like(c) / c.shape[1], says="proportions")
    wrong(part2.q4, "rows", says="function itself")
    # review: in-place division passed q4 while q1 refused round_()
    wrong(part2.q4, lambda c: c.div_(c.sum(1, keepdim=True)), says="in place")


def test_q4_refuses_a_loop_over_the_rows():
    # review: the prompt says "no loop", and a list comprehension over the rows passed
    wrong(part2.q4, lambda c: torch.stack([r / r.sum() for r in c]), says="loop")
    wrong(part2.q4, lambda c: torch.stack([c[i] / c[i].sum() for i in range(len(c))]), says="loop")


def test_q4_refuses_a_pasted_result():
    """Review 2: a pasted literal or a nested list of the exercise's answer passed."""
    want = COUNTS / COUNTS.sum(dim=1, keepdim=True)
    wrong(part2.q4, want, says="function itself")
    wrong(part2.q4, lambda c: want.clone(), says="shape")  # right only for the exercise's counts
    wrong(part2.q4, lambda c: (c / c.sum(dim=1, keepdim=True)).tolist(), says="return the tensor")


def _timed(fn, sync, runs=3, warm=1, sync_warm=True, keep=min, sync_on_clock=True):
    """A timer that syncs like the right answer; each keyword makes one of the usual slips."""
    import time

    for _ in range(warm):
        fn()
    if sync_warm:
        sync()
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        if sync_on_clock:
            sync()
        out.append(time.perf_counter() - start)
        if not sync_on_clock:
            sync()
    return keep(out)


def test_q5_timed_with_sync_right_forms():
    import course_utils as cu

    right(part2.q5, _timed)
    right(part2.q5, lambda fn, sync: _timed(fn, sync, runs=5))
    right(part2.q5, lambda fn, sync: cu.time_call(lambda: (fn(), sync())).best)


def test_q5_refuses_the_timings_that_miss_the_gpu_queue():
    def no_sync(fn, sync):
        return _timed(fn, lambda: None)

    def sync_after_the_clock(fn, sync):
        return _timed(fn, sync, sync_on_clock=False)

    def four_timed(fn, sync):
        return _timed(fn, sync, runs=4, warm=0, sync_warm=False)

    def last_run(fn, sync):
        return _timed(fn, sync, keep=lambda out: out[-1])

    wrong(part2.q5, no_sync, says="never called sync()")
    wrong(part2.q5, sync_after_the_clock, says="still queued")
    wrong(part2.q5, four_timed, says="warm-up call's own time")
    wrong(part2.q5, lambda fn, sync: _timed(fn, sync, sync_warm=False), says="after the warm-up")
    wrong(part2.q5, last_run, says="whatever its place")

    median_of_five = lambda fn, sync: _timed(fn, sync, runs=5, keep=statistics.median)  # noqa: E731
    # review: a median was told "not the first or the last"
    wrong(part2.q5, median_of_five, says="in one script your result was the fastest")
    wrong(part2.q5, lambda fn, sync: _timed(fn, sync) * 1000, says="milliseconds")
    wrong(part2.q5, lambda fn, sync: _timed(fn, sync, runs=2, warm=0), says="at least three")
    wrong(part2.q5, lambda fn, sync: _timed(fn, sync, runs=2), says="at least three")
    wrong(part2.q5, 0.03, says="function itself")


def test_q5_the_notebooks_buggy_timer_is_refused_and_each_repair_is_told_the_next():
    import time

    env = {"time": time}
    exec(part2.Q5_BUGGY, env)  # the timer the notebook hands out, exactly
    wrong(part2.q5, env["timed"], says="still queued")

    # the repairs of the buggy timer: four synced runs, the first of them the warm-up
    def synced_but_warmup_timed_and_mean(fn, sync):
        return _timed(fn, sync, runs=4, warm=0, sync_warm=False, keep=statistics.mean)

    def warmup_dropped_but_mean(fn, sync):
        return _timed(fn, sync, runs=4, warm=0, sync_warm=False, keep=lambda r: sum(r[1:]) / 3)

    def warmup_dropped_min(fn, sync):  # an honest repair: the warm-up is timed, then left out
        return _timed(fn, sync, runs=4, warm=0, sync_warm=False, keep=lambda r: min(r[1:]))

    wrong(part2.q5, synced_but_warmup_timed_and_mean, says="includes the warm-up")
    wrong(part2.q5, warmup_dropped_but_mean, says="mean of the timed runs")
    right(part2.q5, warmup_dropped_min)


def test_the_worked_solutions_of_q2_and_q5_pass_their_checkers(capsys):
    for q in (part2.q2, part2.q5):
        env = {"torch": torch, "part2": part2}
        exec(q.solution_text, env)  # the solution ends with its own check() call
        assert "✅" in capsys.readouterr().out


def test_q5_the_notebook_hands_out_the_buggy_timer_the_tests_run():
    import json
    from pathlib import Path

    nb = json.loads(Path(__file__).parents[1].joinpath("notebooks/02_tensors.ipynb").read_text())
    starters = [
        "".join(c["source"]) for c in nb["cells"] if "part2.q5.check(timed)" in "".join(c["source"])
    ]
    assert len(starters) == 1
    assert part2.Q5_BUGGY in starters[0]


def test_q5_the_slowest_run_is_named_as_such():
    wrong(part2.q5, lambda fn, sync: _timed(fn, sync, keep=max), says="slowest timed run (max)")
