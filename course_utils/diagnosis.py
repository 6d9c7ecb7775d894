"""``cu.doctor()``: one report to paste into a forum question when a setup goes wrong.

It gathers what a helper needs to know (versions against the tested ranges, GPU, dtype, memory,
disk, the Hugging Face cache, whether the Hub answers, whether a token is accepted, and
course_utils' release against the notebook's) and says the next step on every line that is a
problem. The token is never printed, not even partly. Part 1 shows it; every Gotchas section
points at it. Command line: ``python -m course_utils doctor``. The checks live in
checks.py (this machine) and hub_checks.py (the Hub and the token); this module makes the report.
(It is not named doctor.py so that it cannot shadow the function ``cu.doctor`` once imported.)
"""

from __future__ import annotations

import html
import os
import platform
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import version as _version
from .checks import Line, disk_lines, gpu_lines, in_range, version_lines
from .hub_checks import HUB_TIMEOUT_S, PROBE_MODEL, hub_lines

__all__ = [
    "HUB_TIMEOUT_S",
    "PROBE_MODEL",
    "DoctorReport",
    "Line",
    "course_line",
    "doctor",
    "in_range",
    "main",
    "versions_report",
]


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
