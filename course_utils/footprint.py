"""What a loaded model holds, and getting memory back: bytes held, the OOM guard, free_memory.

torch is imported inside the functions, so ``import course_utils`` stays cheap.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ._display import fmt_bytes
from .errors import WontFitError

# the models load_model returned and that are still alive (free_memory names them)
LOADED_MODELS: weakref.WeakSet[Any] = weakref.WeakSet()
_STATE_TYPES = {"QuantState", "MatmulLtState"}  # bitsandbytes' state beside a quantized weight


def held_bytes(model: Any) -> dict[str, int]:
    """Bytes per device of every storage a model holds: parameters, buffers and the
    quantization state bitsandbytes keeps beside them (absmax, code tables, SCB)."""
    import torch

    seen: set[tuple[str, int]] = set()
    per: dict[str, int] = {}

    def add(obj: Any, depth: int = 0) -> None:
        if isinstance(obj, torch.Tensor):
            if obj.device.type == "meta":  # offloaded to disk: counted separately
                return
            storage = obj.untyped_storage()
            key = (str(obj.device), storage.data_ptr())
            if key not in seen:
                seen.add(key)
                per[str(obj.device)] = per.get(str(obj.device), 0) + storage.nbytes()
        elif depth < 3 and type(obj).__name__ in _STATE_TYPES:
            for value in vars(obj).values():  # QuantState.absmax, its nested state2, ...
                add(value, depth + 1)

    for p in model.parameters():
        add(p)
        for value in vars(p).values():  # Params4bit.quant_state, Int8Params.SCB/CB
            add(value)
    for b in model.buffers():
        add(b)
    for m in model.modules():
        add(getattr(m, "state", None))  # Linear8bitLt keeps a MatmulLtState
    disk = sum(p.numel() * p.element_size() for p in model.parameters() if p.device.type == "meta")
    if disk:
        per["disk"] = disk
    return per


def bytes_in_memory(model: Any) -> int:
    """All that ``model`` holds in RAM or on GPUs (what is offloaded to disk left out)."""
    return sum(v for k, v in held_bytes(model).items() if k != "disk")


@dataclass
class MemoryStatus:
    """What is still held after free_memory(), and what holds it."""

    device: str
    held_bytes: int  # CUDA: allocated by tensors; CPU: this process's resident memory
    reserved_bytes: int | None  # CUDA: kept by PyTorch's caching allocator
    models: list[str]

    def __str__(self) -> str:
        text = f"{self.device}: {fmt_bytes(self.held_bytes)} still in use"
        if self.reserved_bytes is not None:
            text += f", {fmt_bytes(self.reserved_bytes)} reserved by PyTorch"
        if self.models:
            text += (
                f". Still referenced: {', '.join(self.models)}. `del` every variable that "
                "holds them (pipelines too), then call cu.free_memory() again."
            )
        else:
            text += ". No model (from cu.load_model or from_pretrained) is still referenced."
        return text

    __repr__ = __str__


def live_models() -> list[Any]:
    """Every model still alive: load_model's, and any transformers model a gc scan finds
    (plain ``from_pretrained``, one inside a pipeline); a model's own submodules left out."""
    import sys

    found = {id(m): m for m in list(LOADED_MODELS)}
    base = getattr(sys.modules.get("transformers"), "PreTrainedModel", None)
    if base is not None:  # transformers not imported: no model of it can exist
        for obj in gc.get_objects():
            if issubclass(type(obj), base):  # type(): no __class__ property runs
                found.setdefault(id(obj), obj)
    inner = {id(sub) for m in found.values() for sub in m.modules() if sub is not m}
    return [m for key, m in found.items() if key not in inner]


def free_memory() -> MemoryStatus:
    """Release what Python and PyTorch can (garbage, the CUDA cache) and say what is still held.

    Part 8 uses it. A model stays in memory while any variable refers to it, so
    ``del model`` first. It names every model still referenced, however it was loaded.
    """
    import torch

    gc.collect()
    models = [
        f"{getattr(m, 'name_or_path', '') or type(m).__name__} ({fmt_bytes(bytes_in_memory(m))})"
        for m in live_models()
    ]
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
        device = f"GPU {torch.cuda.get_device_name()}"
        return MemoryStatus(
            device, torch.cuda.memory_allocated(), torch.cuda.memory_reserved(), models
        )
    import psutil

    return MemoryStatus("CPU", psutil.Process().memory_info().rss, None, models)


@contextmanager
def oom_guard(doing: str, lever: str) -> Iterator[None]:
    """Turn CUDA out-of-memory while ``doing`` into a WontFitError that names the next lever."""
    import torch

    try:
        yield
    except (torch.OutOfMemoryError, RuntimeError) as exc:
        if not isinstance(exc, torch.OutOfMemoryError) and "out of memory" not in str(exc):
            raise
        status = free_memory()
        raise WontFitError(
            f"CUDA ran out of memory while {doing}. Next lever: {lever}. "
            f"After freeing what it could: {status}"
        ) from None


def next_lever(dtype: Any, quantize: str | None) -> str:
    """The lever after the one in use: half precision, then 8-bit, then 4-bit, then other means.

    ``quantize`` is None or a canonical quantized name (int8, nf4).
    """
    from .dtypes import dtype_name

    if quantize is None and dtype_name(dtype) == "float32":
        return "half precision (dtype='float16' on a T4, 'bfloat16' on newer GPUs)"
    later = {None: "quantize='8bit'", "int8": "quantize='4bit'"}
    return later.get(
        quantize, "a smaller model, or a bigger GPU (or check_memory=False to offload to the CPU)"
    )
