"""course_utils: the helpers the Practical PyTorch notebooks call.

``import course_utils as cu`` is cheap: it imports no torch and no transformers. Each name
below is looked up in its module the first time you use it, so the heavy libraries load
only when a helper needs them.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import _quiet
from .errors import (  # errors are light, so they load eagerly
    BadInputError,
    CourseError,
    GatedModelError,
    LicenseError,
    MissingPackageError,
    ModelNotFoundError,
    NoGPUError,
    NotLoggedInError,
    OfflineError,
    UnsafeCheckpointError,
    WontFitError,
)
from .version import __version__  # the one place that holds it

# Drop the known-harmless library log lines before any library is imported (see _quiet.py).
_quiet.install()

# public name -> module that defines it
_LAZY = {
    # gpu.py: what hardware this runtime has
    "GPUS": "gpu",
    "GPUReport": "gpu",
    "gpu_report": "gpu",
    "require_gpu": "gpu",
    # memory.py: weights and KV cache; levers.py: will it fit, and which lever makes it fit
    "MemoryEstimate": "memory",
    "bytes_per_param": "memory",
    "estimate_memory": "memory",
    "kv_cache_bytes": "kv",
    "fits": "levers",
    "plan": "levers",
    # plots.py and widgets.py: pictures and the calculator
    "plot_memory": "plots",
    "plot_kv_cache": "plots",
    "memory_calculator": "widgets",
    # licenses.py, cards.py, access.py: vetting and accessing models (hub.py reaches the Hub)
    "LicenseInfo": "licenses",
    "license_info": "licenses",
    "check_license": "licenses",
    "card_summary": "cards",
    "top_models": "cards",
    "login": "access",
    "check_access": "access",
    # loading.py: loading with preflight checks (preflight.py); footprint.py: getting memory back
    "load_model": "loading",
    "load_pipeline": "loading",
    "free_memory": "footprint",
    # timing.py: warm up, repeat, keep the best
    "Timing": "timing",
    "time_call": "timing",
    # streaming.py: generate's text piece by piece, with a reader that always ends
    "stream_generate": "streaming",
    "TextStream": "streaming",
    "GenerationTimeoutError": "streaming",
    # course.py: where the course lives (badges, installs, assets)
    "asset": "course",
    # version.py: the release each notebook's setup cell expects
    "check_version": "version",
    "VersionMismatchError": "version",
    # diagnosis.py: one report to paste into a forum question
    "doctor": "diagnosis",
    "DoctorReport": "diagnosis",
    # classroom.py: the whole course into one shared cache, for a classroom offline
    "prefetch": "classroom",
    "PrefetchReport": "classroom",
    "DiskFullError": "classroom",
    "CacheNotWritableError": "classroom",
}

__all__ = sorted(
    [
        *_LAZY,
        "CourseError",
        "BadInputError",
        "GatedModelError",
        "LicenseError",
        "MissingPackageError",
        "ModelNotFoundError",
        "NoGPUError",
        "NotLoggedInError",
        "OfflineError",
        "UnsafeCheckpointError",
        "WontFitError",
    ]
)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'course_utils' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # cache: the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return __all__
