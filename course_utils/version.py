"""The course's one version number, the install line built from it, and the setup cell's check.

Everything that names the version reads it from here: pyproject.toml (setuptools' dynamic
version), the install line (the release tag), each notebook's ``cu.check_version("…")``
(written by scripts/setup_cell.py) and ``make release``, which bumps it. Every setup cell
calls ``check_version``; Part 1 explains it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .errors import CourseError

__version__ = "1.0.0"

# requirements.txt's ranges, shipped inside the package so that doctor() can judge an installed
# environment with no repository beside it. tests/test_versions.py keeps the two equal.
TESTED_RANGES: dict[str, str] = {
    "torch": ">=2.6,<2.14",
    "transformers": ">=5.23,<6",
    "huggingface_hub": ">=2.0,<3",
    "accelerate": ">=1.10,<2",
    "bitsandbytes": ">=0.48,<0.51",
    "safetensors": ">=0.8,<1",
    "tokenizers": ">=0.23.3,<0.24",
    "numpy": ">=1.26,<3",
    "pillow": ">=10,<14",
    "scipy": ">=1.13,<2",
    "matplotlib": ">=3.9,<4",
    "ipywidgets": ">=8.1,<9",
}
PYTHON_RANGE = ">=3.11"  # pyproject.toml's requires-python

DEFAULT_REPO = (
    "practical-pytorch/practical-pytorch"  # course.REPO; repeated so this file imports nothing
)
RESTART = "Runtime → Restart session"  # Colab's menu item


_last_expected: list[str] = []  # what the setup cell asked for; doctor() reports it


def last_expected() -> str | None:
    """The release the last ``check_version`` call expected (None before the setup cell ran)."""
    return _last_expected[-1] if _last_expected else None


class VersionMismatchError(CourseError):
    """The course_utils this runtime imported is not the release the notebook was written for."""


def tag(version: str = __version__) -> str:
    """The git tag of a release: ``v1.0.0``."""
    return f"v{version}"


def install_line(version: str = __version__, repo: str = DEFAULT_REPO) -> str:
    """The setup cell's install line: the course at the release tag that matches the notebook."""
    return f'%pip install -q "practical-pytorch[course] @ git+https://github.com/{repo}@{tag(version)}"'


def _installed_version() -> str | None:
    """The version pip has on disk (it differs from __version__ when pip upgraded after import)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("practical-pytorch")
    except PackageNotFoundError:
        return None


def mismatch_message(
    expected: str, running: str, on_disk: str | None, where: str, colab: bool
) -> str:
    """What went wrong and the exact next step, for the setup cell's version check."""
    head = (
        f"This notebook was written for course_utils {expected}, but this runtime imported "
        f"course_utils {running} (from {where})."
    )
    pip_line = install_line(expected)
    if on_disk == expected:
        why = (
            f" pip has already installed {expected}, but Python still holds the {running} it "
            "imported before: restart the runtime"
        )
    else:
        why = " An old runtime or a stale install: restart the runtime"
    if colab:
        return (
            f"{head}{why} ({RESTART}), then run the notebook again from the top; its first "
            f"cell installs the right release with:\n    {pip_line}"
        )
    return (
        f"{head}{why} (Kernel → Restart), after installing the matching release from the "
        f"repository folder: `git checkout {tag(expected)}` then `pip install -e .`, or run:"
        f"\n    {pip_line.removeprefix('%')}"
    )


def check_version(expected: str) -> str:
    """Raise VersionMismatchError unless the imported course_utils is release ``expected``.

    The setup cell of every notebook calls this, so a notebook saved long ago, or a runtime that
    imported another release earlier, stops with the restart instruction instead of failing later
    with "module 'course_utils' has no attribute …". Returns the version when it matches.
    Parts 1, 2, 3, 4, 5, 6, 7, 8 and 9 use it.
    """
    _last_expected.append(expected)
    if expected == __version__:
        return __version__
    raise VersionMismatchError(
        mismatch_message(
            expected,
            __version__,
            _installed_version(),
            str(Path(__file__).resolve().parent),
            "google.colab" in sys.modules,
        )
    )
