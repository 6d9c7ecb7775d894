"""Stand-ins for the timing exercises (Part 1 q3, Part 2 q5): calls whose durations are known,
a queue that behaves like a GPU's, a log of when the learner's code reads the clock, and the
reading of what the learner's timing function returned, which both checkers share.

The stand-ins take no real time: while a checker watches, the learner's clock reads a virtual
time that moves only by the scripted durations, so a busy machine cannot change the result.

The log is how a checker tells "warm-up, then time" from "time every call and keep the
fastest": both can return the same number, but only the second reads the clock around the
first (cold) call.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .answers import as_number

_CLOCKS = ("perf_counter", "perf_counter_ns", "monotonic", "monotonic_ns", "time", "time_ns")


class Log:
    """What happened, in order: ``"clock"`` for each clock read of the learner's thread,
    ``("start", i)`` / ``("end", i)`` around the stand-in's i-th call, ``"sync"`` for each wait
    on the stand-in GPU."""

    def __init__(self) -> None:
        self.events: list[Any] = []
        self.elapsed = 0.0  # seconds the stand-ins have "taken": what the learner's clock shows

    def cold_call_timed(self) -> bool:
        """True when the clock was read before the first call started and again after it
        ended but before the second began: the first (cold) call was on the clock."""
        before = after = seen_end = False
        for event in self.events:
            if event == ("start", 0):
                break
            if event == "clock":
                before = True
        for event in self.events:
            if event == ("end", 0):
                seen_end = True
            elif event == ("start", 1):
                break
            elif event == "clock" and seen_end:
                after = True
        return before and after

    def warmup_not_waited_for(self) -> bool:
        """True when, after the first call, the clock was read before any ``"sync"``: the
        timed runs started while the warm-up's work was still queued."""
        if ("end", 0) not in self.events:
            return False
        for event in self.events[self.events.index(("end", 0)) :]:
            if event == "sync":
                return False
            if event == "clock":
                return True
        return False


@contextmanager
def watching(log: Log, fn: Any = None) -> Iterator[Log]:
    """Log every clock read made by this thread while the block runs: through the ``time``
    module, and through the names of ``fn`` (its globals and closure) bound to a clock, as
    ``from time import perf_counter`` leaves them."""
    me = threading.get_ident()
    originals = {name: getattr(time, name) for name in _CLOCKS}
    # the learner's thread reads a clock that moves only when a stand-in "takes" time, so the
    # durations it measures are exactly the scripted ones, however busy the machine is
    start = {name: clock() for name, clock in originals.items()}

    def wrap(name: str, clock: Any) -> Any:
        def read() -> Any:
            if threading.get_ident() != me:  # the kernel's own threads read the real clocks
                return clock()
            log.events.append("clock")
            if name.endswith("_ns"):
                return start[name] + round(log.elapsed * 1e9)
            return start[name] + log.elapsed

        return read

    wrapped = {name: wrap(name, clock) for name, clock in originals.items()}

    def clock_name(value: Any) -> str | None:
        return next((n for n, clock in originals.items() if value is clock), None)

    rebound: list[tuple[dict, str, Any]] = []
    ns = getattr(fn, "__globals__", None) or {}
    for key, value in list(ns.items()):
        if name := clock_name(value):
            rebound.append((ns, key, value))
            ns[key] = wrapped[name]
    cells = []
    for cell in getattr(fn, "__closure__", None) or ():
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if name := clock_name(value):
            cells.append((cell, value))
            cell.cell_contents = wrapped[name]
    import timeit  # timeit.default_timer is perf_counter, bound when timeit was imported

    timer = timeit.default_timer
    try:
        for name, clock in wrapped.items():
            setattr(time, name, clock)
        if name := clock_name(timer):
            timeit.default_timer = wrapped[name]
        yield log
    finally:
        timeit.default_timer = timer
        for name, clock in originals.items():
            setattr(time, name, clock)
        for ns, key, value in rebound:
            ns[key] = value
        for cell, value in cells:
            cell.cell_contents = value


class Scripted:
    """A stand-in for a pipeline call: each call takes the next of ``durations`` seconds
    (later calls take the last), so each way of timing gives its own number."""

    def __init__(self, durations: tuple[float, ...], log: Log | None = None) -> None:
        self.durations = durations
        self.calls = 0
        self.log = log or Log()

    def __call__(self, *_: Any, **__: Any) -> list[dict]:
        i = self.calls
        self.log.events.append(("start", i))
        self.log.elapsed += self.durations[min(i, len(self.durations) - 1)]
        self.calls += 1
        self.log.events.append(("end", i))
        return [{"label": "POSITIVE", "score": 0.99}]


class FakeGPU:
    """A stand-in for work on a GPU: ``launch()`` queues the next of ``durations`` seconds of
    work and returns at once, as ``a @ b`` does on CUDA; ``sync()`` waits until the queue is
    empty, as ``torch.cuda.synchronize()`` does."""

    def __init__(self, durations: tuple[float, ...], log: Log | None = None) -> None:
        self.durations = durations
        self.calls = 0
        self.syncs = 0
        self.busy_until = 0.0
        self.log = log or Log()

    def launch(self, *_: Any, **__: Any) -> None:
        i = self.calls
        self.log.events.append(("start", i))
        seconds = self.durations[min(i, len(self.durations) - 1)]
        self.busy_until = max(self.log.elapsed, self.busy_until) + seconds
        self.calls += 1
        self.log.events.append(("end", i))

    def sync(self) -> None:
        self.syncs += 1
        self.log.events.append("sync")
        self.log.elapsed = max(self.log.elapsed, self.busy_until)  # wait for the queue


def seconds_returned(returned: Any, call: str, calls: int) -> tuple[float | None, str | None]:
    """What the learner's ``call`` returned, read as seconds, after the warm-up and three timed
    runs both timing exercises ask for: (seconds, None), or (None, the problem)."""
    value, problem = as_number(returned, f"what {call} returned")
    if problem:
        return None, problem
    if calls < 4:
        return None, (
            f"{call.split('(')[0]} called fn {calls} time(s): call it once to warm up, then time "
            "at least three more calls (4 calls or more in all)"
        )
    return value, None
