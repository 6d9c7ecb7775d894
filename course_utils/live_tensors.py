"""A live-tensor tracker: the peak bytes of tensors created while it is active (CPU or GPU).

Every tensor an op returns is counted once per storage until its last view is freed; tensors
made before (the weights) are not. On a CPU there is no ``torch.cuda.max_memory_allocated``, so
Part 8 measures the peak of ``generate`` with it; tests/test_peak.py and
scripts/bench_memory.py check course_utils' peak (peak.py) against it. It imports torch, so
nothing in course_utils imports it: ``from course_utils.live_tensors import LiveTensors``.
"""

from __future__ import annotations

import weakref

from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten


class LiveTensors(TorchDispatchMode):
    """``with LiveTensors() as live: ...`` then ``live.peak``: the most bytes alive at once.

    Part 8 uses it (``from course_utils.live_tensors import LiveTensors``).
    """

    def __init__(self) -> None:
        super().__init__()
        self.bytes: dict[int, int] = {}  # storage address -> bytes
        self.refs: dict[int, int] = {}  # storage address -> live tensors using it
        self.now = self.peak = 0

    def _release(self, ptr: int) -> None:
        self.refs[ptr] -= 1
        if not self.refs[ptr]:
            self.now -= self.bytes.pop(ptr)
            del self.refs[ptr]

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        import torch

        out = func(*args, **(kwargs or {}))
        for t in tree_flatten(out)[0]:
            if not isinstance(t, torch.Tensor) or t.device.type == "meta":
                continue
            storage = t.untyped_storage()
            ptr = storage.data_ptr()
            if not ptr:
                continue
            if ptr not in self.bytes:
                self.bytes[ptr], self.refs[ptr] = storage.nbytes(), 0
                self.now += storage.nbytes()
                self.peak = max(self.peak, self.now)
            self.refs[ptr] += 1
            weakref.finalize(t, self._release, ptr)
        return out
