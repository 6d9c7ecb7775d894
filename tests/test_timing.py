"""cu.time_call: warm-up calls are not timed, each timed call is, and the best is the minimum."""

from __future__ import annotations

import time

import pytest

import course_utils as cu


def test_warmup_is_untimed_and_best_is_the_fastest_run():
    delays = iter([0.05, 0.02, 0.01, 0.03])  # warm-up, then three timed calls
    calls = []

    def work(x):
        calls.append(x)
        time.sleep(next(delays))
        return x * 2

    t = cu.time_call(work, 21, warmup=1, repeats=3)
    assert calls == [21] * 4 and t.result == 42 and len(t.times) == 3
    assert 0.009 < t.best < 0.02 and t.best == min(t.times)
    assert "3 runs" in repr(t)


def test_zero_repeats_is_a_course_error():
    with pytest.raises(cu.BadInputError, match="at least one"):
        cu.time_call(lambda: None, repeats=0)
