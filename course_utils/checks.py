"""The doctor's checks of this machine: versions against the tested ranges, GPU, disk, the cache.

Each check returns ``Line`` rows; a row with a ``fix`` is a problem and the fix is the next step.
``cu.doctor()`` (diagnosis.py) puts them in one report; the Hub and token checks are in
hub_checks.py. Nothing here reaches the network.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from . import version as _version

GIB = 2**30
LOW_DISK_GIB = 5.0  # Part 8's Qwen2.5-0.5B plus the parts' small models need about 2 GiB


@dataclass(frozen=True)
class Line:
    """One row of the report; ``fix`` is the next step when the row is a problem, else ''."""

    topic: str
    value: str
    fix: str = ""

    @property
    def ok(self) -> bool:
        return not self.fix


# --- versions ----------------------------------------------------------------------------


def _release(text: str) -> tuple[int, ...]:
    """The numeric release of a version string: '2.13.0+cpu' -> (2, 13, 0); '' -> ()."""
    m = re.match(r"\s*v?(\d+(?:\.\d+)*)", text)
    return tuple(int(p) for p in m.group(1).split(".")) if m else ()


def _cmp(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    n = max(len(a), len(b))
    a, b = a + (0,) * (n - len(a)), b + (0,) * (n - len(b))
    return (a > b) - (a < b)


_OPS = {
    ">=": lambda c: c >= 0,
    ">": lambda c: c > 0,
    "<=": lambda c: c <= 0,
    "<": lambda c: c < 0,
    "==": lambda c: c == 0,
}


def in_range(installed: str, spec: str) -> bool:
    """Whether ``installed`` satisfies a range such as '>=2.6,<2.14' (>=, >, <=, <, == only)."""
    have = _release(installed)
    for part in spec.split(","):
        m = re.match(r"\s*(>=|<=|==|>|<)\s*([\w.]+)", part)
        if m and not _OPS[m.group(1)](_cmp(have, _release(m.group(2)))):
            return False
    return True


def dist_version(name: str) -> str | None:
    """The installed version of a distribution, or None when it is not installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def python_line() -> Line:
    """This interpreter against pyproject's requires-python."""
    py = platform.python_version()
    ok = in_range(py, _version.PYTHON_RANGE)
    fix = (
        ""
        if ok
        else "use Python 3.11 or newer: transformers 5.23, which the course needs, requires it "
        "(Colab has 3.12)"
    )
    return Line("python", f"{py} (tested {_version.PYTHON_RANGE})", fix)


def library_line(name: str, spec: str) -> Line:
    """One course library against its tested range: fine, missing, or outside the range."""
    have = dist_version(name)
    if have is None:
        fix = (
            "install it: pip install torch (Colab has it already)"
            if name == "torch"
            else 'install the course libraries: pip install "practical-pytorch[course]" '
            f'(or pip install "{name}{spec}")'
        )
        return Line(name, f"not installed (tested {spec})", fix)
    if in_range(have, spec):
        return Line(name, f"{have} (tested {spec})")
    return Line(
        name,
        f"{have}, outside the tested range {spec}",
        f'pip install "{name}{spec}", then restart the runtime '
        "(this version was never tested with the course)",
    )


def optional_line(name: str) -> Line:
    """torchvision / torchaudio: optional, but they change which code path Part 7 runs."""
    have = dist_version(name)
    text = (
        f"{have} (optional; Colab has it)"
        if have
        else "not installed (optional; Part 7 uses it when present)"
    )
    return Line(name, text)


def version_lines() -> list[Line]:
    """Python and each course library against the ranges the course was tested with."""
    return [
        python_line(),
        *(library_line(name, spec) for name, spec in _version.TESTED_RANGES.items()),
        *(optional_line(name) for name in ("torchvision", "torchaudio")),
    ]


# --- hardware and disk -------------------------------------------------------------------


def _gpu_memory_line(free_bytes: int, total_bytes: int) -> Line:
    free, total = free_bytes / GIB, total_bytes / GIB
    fix = (
        "another model is still in GPU memory: run cu.free_memory(), or restart the runtime"
        if total_bytes and free < 0.25 * total
        else ""
    )
    return Line("gpu memory", f"{free:.1f} GiB free of {total:.1f} GiB", fix)


def gpu_lines() -> list[Line]:
    """GPU, compute capability, recommended dtype and free GPU memory, from cu.gpu_report()."""
    if dist_version("torch") is None:
        return [Line("gpu", "unknown (torch is not installed)", "install torch first")]
    from .gpu import gpu_report

    try:
        r = gpu_report()
    except Exception as exc:  # a broken CUDA install is exactly what the report must show
        return [
            Line(
                "gpu",
                f"torch could not check the GPU: {type(exc).__name__}: {exc}",
                "reinstall torch for this machine (pip install --force-reinstall torch) or "
                "restart the runtime",
            )
        ]
    if not r.available:
        return [Line("gpu", r.name), Line("recommended dtype", r.recommended_dtype)]
    cc = ".".join(map(str, r.compute_capability or ()))
    return [
        Line("gpu", r.name),
        Line("compute capability", f"{cc} ({'native' if r.bf16_native else 'no native'} bf16)"),
        Line("recommended dtype", r.recommended_dtype),
        _gpu_memory_line(r.free_bytes, r.total_bytes),
    ]


def tree_bytes(root: Path) -> int:
    """Bytes of the files under ``root`` (symlinks not followed, so each blob counts once)."""
    total = 0
    for dirpath, _, files in os.walk(root):
        for f in files:
            path = os.path.join(dirpath, f)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if not os.path.islink(path):
                total += st.st_size
    return total


def hub_cache() -> Path:
    """Where the Hugging Face libraries keep downloaded models (HF_HUB_CACHE / HF_HOME/hub)."""
    if dist_version("huggingface_hub") is not None:
        from huggingface_hub import constants

        return Path(constants.HF_HUB_CACHE)
    home = os.environ.get("HF_HOME", os.path.join(os.path.expanduser("~"), ".cache", "huggingface"))
    return Path(os.environ.get("HF_HUB_CACHE", os.path.join(home, "hub")))


def disk_lines() -> list[Line]:
    """Free disk where the cache lives, and the cache's place and size."""
    cache = hub_cache()
    size = tree_bytes(cache) / GIB if cache.is_dir() else 0.0
    lines = [
        Line("hf cache", f"{cache} ({size:.2f} GiB)" if cache.is_dir() else f"{cache} (empty)")
    ]
    probe = next((p for p in [cache, *cache.parents] if p.exists()), Path.cwd())
    free = shutil.disk_usage(probe).free / GIB
    fix = (
        "free disk space: delete models you no longer need with `hf cache rm`, or point "
        "HF_HOME at a bigger disk"
        if free < LOW_DISK_GIB
        else ""
    )
    lines.append(Line("free disk", f"{free:.1f} GiB on the cache's disk", fix))
    return lines
