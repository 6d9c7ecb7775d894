"""``cu.doctor()``: one report to paste into a forum question when a setup goes wrong.

It gathers what a helper needs to know (versions against the tested ranges, GPU, dtype, memory,
disk, the Hugging Face cache, whether the Hub answers, whether a token is accepted, and
course_utils' release against the notebook's) and says the next step on every line that is a
problem. The token is never printed, not even partly. Part 1 shows it; every Gotchas section
points at it. Command line: ``python -m course_utils doctor``. (The module is not named doctor.py
so that it cannot shadow the function ``cu.doctor`` once imported.)
"""

from __future__ import annotations

import html
import os
import platform
import re
import shutil
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from . import version as _version

HUB_TIMEOUT_S = 5.0
PROBE_MODEL = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"  # Part 1's model
TOKENS_PAGE = "https://huggingface.co/settings/tokens"
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


@dataclass
class DoctorReport:
    """What ``doctor()`` found. ``str()`` is the text to paste;
    in a notebook it shows as a table."""

    lines: list[Line] = field(default_factory=list)

    @property
    def problems(self) -> list[Line]:
        return [line for line in self.lines if not line.ok]

    def __getitem__(self, topic: str) -> Line:
        for line in self.lines:
            if line.topic == topic:
                return line
        raise KeyError(topic)

    def __str__(self) -> str:
        width = max(len(line.topic) for line in self.lines)
        out = [f"course_utils doctor ({len(self.problems)} problem(s))"]
        for line in self.lines:
            mark = "  " if line.ok else "! "
            out.append(f"{mark}{line.topic:<{width}}  {line.value}")
            if line.fix:
                out.append(f"  {'':<{width}}  -> {line.fix}")
        return "\n".join(out)

    def _repr_html_(self) -> str:
        rows = []
        for line in self.lines:
            style = "" if line.ok else " style='background:#fde7c8'"
            fix = f"<br><b>Next step:</b> {html.escape(line.fix)}" if line.fix else ""
            rows.append(
                f"<tr{style}><th style='text-align:left'>{html.escape(line.topic)}</th>"
                f"<td style='text-align:left'>{html.escape(line.value)}{fix}</td></tr>"
            )
        return (
            f"<p><b>course_utils doctor</b>: {len(self.problems)} problem(s)</p>"
            f"<table>{''.join(rows)}</table><details><summary>Text to paste into a forum "
            f"question</summary><pre>{html.escape(str(self))}</pre></details>"
        )

    def __repr__(self) -> str:
        return str(self)


# --- versions ----------------------------------------------------------------------------


def _release(text: str) -> tuple[int, ...]:
    """The numeric release of a version string: '2.13.0+cpu' -> (2, 13, 0); '' -> ()."""
    m = re.match(r"\s*v?(\d+(?:\.\d+)*)", text)
    return tuple(int(p) for p in m.group(1).split(".")) if m else ()


def _cmp(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    n = max(len(a), len(b))
    a, b = a + (0,) * (n - len(a)), b + (0,) * (n - len(b))
    return (a > b) - (a < b)


def in_range(installed: str, spec: str) -> bool:
    """Whether ``installed`` satisfies a range such as '>=2.6,<2.14' (>=, >, <=, <, == only)."""
    have = _release(installed)
    ops = {
        ">=": lambda c: c >= 0,
        ">": lambda c: c > 0,
        "<=": lambda c: c <= 0,
        "<": lambda c: c < 0,
        "==": lambda c: c == 0,
    }
    for part in spec.split(","):
        m = re.match(r"\s*(>=|<=|==|>|<)\s*([\w.]+)", part)
        if m and not ops[m.group(1)](_cmp(have, _release(m.group(2)))):
            return False
    return True


def _dist_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def version_lines() -> list[Line]:
    """Python and each course library against the ranges the course was tested with."""
    py = platform.python_version()
    lines = [
        Line(
            "python",
            f"{py} (tested {_version.PYTHON_RANGE})",
            ""
            if in_range(py, _version.PYTHON_RANGE)
            else "use Python 3.10 or newer (Colab has 3.12)",
        )
    ]
    for name, spec in _version.TESTED_RANGES.items():
        have = _dist_version(name)
        if have is None:
            fix = (
                "install it: pip install torch (Colab has it already)"
                if name == "torch"
                else f'install the course libraries: pip install "practical-pytorch[course]" '
                f'(or pip install "{name}{spec}")'
            )
            lines.append(Line(name, f"not installed (tested {spec})", fix))
        elif in_range(have, spec):
            lines.append(Line(name, f"{have} (tested {spec})"))
        else:
            lines.append(
                Line(
                    name,
                    f"{have}, outside the tested range {spec}",
                    f'pip install "{name}{spec}", then restart the runtime '
                    "(this version was never tested with the course)",
                )
            )
    for name in ("torchvision", "torchaudio"):  # optional: they change which code path runs
        have = _dist_version(name)
        lines.append(
            Line(
                name,
                f"{have} (optional; Colab has it)"
                if have
                else "not installed (optional; Part 7 uses it when present)",
            )
        )
    return lines


def versions_report() -> str:
    """Just the version lines, as text (make test-latest/-oldest/-colab print it)."""
    return str(DoctorReport(version_lines()))


def course_line(expected: str | None = None) -> Line:
    """course_utils' release against the notebook's (the setup cell's check_version records it)."""
    running = _version.__version__
    expected = expected or _version.last_expected()
    where = str(Path(_version.__file__).resolve().parent)
    if expected is None:
        return Line(
            "course_utils",
            f"{running} from {where}; the notebook's release is unknown "
            "(its setup cell has not run)",
        )
    if expected == running:
        return Line("course_utils", f"{running}, the release this notebook expects")
    return Line(
        "course_utils",
        f"{running}, but the notebook expects {expected}",
        f"restart the runtime and run the setup cell again; it installs {expected} with "
        f"{_version.install_line(expected)}",
    )


# --- hardware and disk -------------------------------------------------------------------


def gpu_lines() -> list[Line]:
    """GPU, compute capability, recommended dtype and free GPU memory, from cu.gpu_report()."""
    if _dist_version("torch") is None:
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
    lines = [
        Line("gpu", r.name),
        Line("compute capability", f"{cc} ({'native' if r.bf16_native else 'no native'} bf16)"),
        Line("recommended dtype", r.recommended_dtype),
    ]
    free = r.free_bytes / GIB
    fix = (
        "another model is still in GPU memory: run cu.free_memory(), or restart the runtime"
        if r.total_bytes and free < 0.25 * r.total_bytes / GIB
        else ""
    )
    lines.append(Line("gpu memory", f"{free:.1f} GiB free of {r.total_bytes / GIB:.1f} GiB", fix))
    return lines


def _tree_bytes(root: Path) -> int:
    """Bytes of the files under ``root`` (symlinks not followed, so each blob counts once)."""
    total = 0
    for dirpath, _, files in os.walk(root):
        for f in files:
            try:
                st = os.lstat(os.path.join(dirpath, f))
            except OSError:
                continue
            if not os.path.islink(os.path.join(dirpath, f)):
                total += st.st_size
    return total


def hub_cache() -> Path:
    """Where the Hugging Face libraries keep downloaded models (HF_HUB_CACHE / HF_HOME/hub)."""
    if _dist_version("huggingface_hub") is not None:
        from huggingface_hub import constants

        return Path(constants.HF_HUB_CACHE)
    home = os.environ.get("HF_HOME", os.path.join(os.path.expanduser("~"), ".cache", "huggingface"))
    return Path(os.environ.get("HF_HUB_CACHE", os.path.join(home, "hub")))


def disk_lines() -> list[Line]:
    """Free disk where the cache lives, and the cache's place and size."""
    cache = hub_cache()
    size = _tree_bytes(cache) / GIB if cache.is_dir() else 0.0
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


# --- the Hub and the token ---------------------------------------------------------------


def _with_deadline(fn, seconds: float):
    """Run fn() in a thread; (result, None) or (None, 'reason') within ``seconds``, never later."""
    box: dict = {}

    def run():
        try:
            box["value"] = fn()
        except Exception as exc:  # reported, not raised: the doctor must finish
            box["error"] = f"{type(exc).__name__}: {exc}"

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        return None, f"no answer within {seconds:g} s"
    return box.get("value"), box.get("error")


def _get(url: str, token: str | None, timeout: float):
    from huggingface_hub.utils import build_hf_headers, get_session

    headers = build_hf_headers(token=token) if token else build_hf_headers(token=False)
    return get_session().get(url, headers=headers, timeout=timeout).status_code


def hub_line(endpoint: str, offline: bool, timeout: float = HUB_TIMEOUT_S) -> Line:
    """Whether the Hub at ``endpoint`` answers an anonymous request within ``timeout`` seconds."""
    if offline:
        return Line(
            "hub", "not checked: offline mode (HF_HUB_OFFLINE=1), models come from the cache only"
        )
    url = f"{endpoint}/api/models/{PROBE_MODEL}"
    status, error = _with_deadline(lambda: _get(url, None, timeout), timeout + 0.5)
    if error:
        return Line(
            "hub",
            f"{endpoint} does not answer ({error})",
            "check the internet connection (on Colab: Runtime → Restart session); behind "
            "a proxy set HTTPS_PROXY; an HF_ENDPOINT mirror must be up; or work offline "
            "with HF_HUB_OFFLINE=1 from the cache",
        )
    if status == 200:
        return Line("hub", f"{endpoint} answers")
    return Line(
        "hub",
        f"{endpoint} answered HTTP {status} for a public model",
        "the Hub may be down (see status.huggingface.co) or HF_ENDPOINT points at the "
        "wrong server; try again in a few minutes",
    )


def _find_token() -> tuple[str | None, str]:
    """(token, where it came from), read the way huggingface_hub reads it; never printed."""
    for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        if os.environ.get(var):
            return os.environ[var], f"environment variable {var}"
    if _dist_version("huggingface_hub") is None:
        return None, ""
    from huggingface_hub import get_token

    token = get_token()
    return (token, "saved by `hf auth login` or the Colab secret HF_TOKEN") if token else (None, "")


def token_line(endpoint: str, offline: bool, hub_ok: bool, timeout: float = HUB_TIMEOUT_S) -> Line:
    """Whether a token is present and whether the Hub accepts it; the token itself never shows."""
    token, source = _find_token()
    if not token:
        return Line("hf token", "none (public models work; gated ones need it: Part 8)")
    if offline or not hub_ok:
        return Line("hf token", f"present ({source}); not checked, the Hub is not reachable")
    status, error = _with_deadline(
        lambda: _get(f"{endpoint}/api/whoami-v2", token, timeout), timeout + 0.5
    )
    if error:
        return Line(
            "hf token",
            f"present ({source}); the check got no answer ({error})",
            "run cu.doctor() again when the Hub answers",
        )
    if status == 200:
        return Line("hf token", f"present ({source}) and accepted by the Hub")
    if status == 401:
        return Line(
            "hf token",
            f"present ({source}) but REJECTED (HTTP 401: invalid or revoked)",
            f"create a new read token at {TOKENS_PAGE}; on Colab replace the secret "
            "HF_TOKEN (key icon on the left), elsewhere run `hf auth login`; then restart "
            "the runtime",
        )
    return Line(
        "hf token",
        f"present ({source}); the Hub answered HTTP {status}",
        "try again in a few minutes",
    )


def hub_lines(timeout: float = HUB_TIMEOUT_S) -> list[Line]:
    """The Hub and token rows, honouring HF_HUB_OFFLINE and HF_ENDPOINT as huggingface_hub does."""
    if _dist_version("huggingface_hub") is None:
        return [
            Line(
                "hub",
                "not checked: huggingface_hub is not installed",
                'pip install "practical-pytorch[course]"',
            )
        ]
    from huggingface_hub import constants

    offline = bool(constants.is_offline_mode())
    hub = hub_line(constants.ENDPOINT, offline, timeout)
    return [hub, token_line(constants.ENDPOINT, offline, hub.ok and not offline, timeout)]


def doctor(expected: str | None = None, *, hub: bool = True) -> DoctorReport:
    """Everything a helper asks first, in one report; each problem line says the next step.

    ``expected`` is the notebook's course release (the setup cell records it, so it is rarely
    needed); ``hub=False`` skips the two network checks. Takes at most about 10 s: each Hub
    request has a 5 s limit. Parts 1, 2, 3, 4, 5, 6, 7, 8 and 9 use it (their setup cells name it).
    """
    lines = [course_line(expected), *version_lines(), *gpu_lines(), *disk_lines()]
    if hub:
        lines += hub_lines()
    lines.append(
        Line(
            "platform",
            f"{platform.platform()}, {os.cpu_count()} CPU cores"
            + (", Colab" if "google.colab" in sys.modules else ""),
        )
    )
    return DoctorReport(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m course_utils doctor [--no-hub] [--expected X.Y.Z]``: print the report."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m course_utils doctor", description=doctor.__doc__
    )
    parser.add_argument("--no-hub", action="store_true", help="skip the two network checks")
    parser.add_argument(
        "--expected", default=None, help="the notebook's course release, e.g. 1.0.0"
    )
    args = parser.parse_args(argv)
    print(doctor(args.expected, hub=not args.no_hub))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
