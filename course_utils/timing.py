"""One way to time anything in the course: warm up, repeat, keep the best (Part 2 introduces it).

GPU work runs asynchronously, so the clock is read only after CUDA has finished (when torch is
already imported and a GPU is there); the first call pays one-off costs, so it is not counted.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Timing:
    """Seconds for each timed call; ``best`` is the one to compare (the least disturbed run)."""

    times: list[float] = field(default_factory=list)
    result: Any = None  # what the last call returned

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def best_ms(self) -> float:
        return self.best * 1000

    def __repr__(self) -> str:
        runs = ", ".join(f"{t * 1000:.1f}" for t in self.times)
        return f"Timing(best={self.best * 1000:.1f} ms over {len(self.times)} runs: {runs} ms)"


def _sync() -> None:
    torch = sys.modules.get("torch")  # never import torch just to time something
    if torch is not None and torch.cuda.is_available():
        torch.cuda.synchronize()


def time_call(
    fn: Callable[..., Any], *args: Any, warmup: int = 1, repeats: int = 3, **kwargs: Any
) -> Timing:
    """Call ``fn(*args, **kwargs)`` ``warmup`` times untimed, then ``repeats`` times timed.

    Parts 2, 4, 8 and 9 use it. Returns a :class:`Timing` (``.best`` seconds, ``.times``,
    ``.result``).
    """
    if repeats < 1:
        from .errors import BadInputError

        raise BadInputError(f"repeats must be at least 1, got {repeats!r}: time at least one call.")
    for _ in range(max(0, warmup)):
        fn(*args, **kwargs)
    timing = Timing()
    for _ in range(repeats):
        _sync()
        start = time.perf_counter()
        timing.result = fn(*args, **kwargs)
        _sync()
        timing.times.append(time.perf_counter() - start)
    return timing
