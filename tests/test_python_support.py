"""Python >= 3.11, stated wherever it is stated and true of the install.

transformers 5.21 and later declare ``Requires-Python >=3.11.0``, so the course's pins cannot be
installed on 3.10. The first tests read the places that say so (pyproject, README, cu.doctor()).
The last two ask pip's resolver, against the package registry, whether the install that the
setup cell runs on Colab (the ``course`` extra; Colab keeps its own torch) resolves for
Python 3.12, the Python Colab runs, and that it is refused for 3.10 with pip's own sentence
naming the required Python. They download metadata only (``--dry-run``) and skip, saying why,
when the registry cannot be reached. (On 3.10 pip's resolver says "Ignored the following
versions that require a different python version: ... Requires-Python >=3.11.0" before "No
matching distribution found for transformers".)
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from course_utils import checks, version

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
UNREACHABLE = ("Failed to establish", "Temporary failure in name resolution", "NewConnectionError")


def test_requires_python_is_3_11_everywhere_it_is_stated():
    assert version.PYTHON_RANGE == ">=3.11"
    assert PYPROJECT["project"]["requires-python"] == version.PYTHON_RANGE
    assert PYPROJECT["tool"]["ruff"]["target-version"] == "py311"  # lint the Python we support
    readme = (ROOT / "README.md").read_text()
    assert "Python 3.11+" in readme
    assert not re.search(r"Python 3\.(8|9|10)\+", readme)


@pytest.mark.parametrize("py, ok", [("3.10.14", False), ("3.11.0", True), ("3.12.12", True)])
def test_doctor_says_which_python_and_why(monkeypatch, py, ok):
    monkeypatch.setattr(checks.platform, "python_version", lambda: py)
    line = checks.python_line()
    assert line.ok is ok
    if not ok:
        assert "3.11 or newer" in line.fix and "transformers" in line.fix


def _course_requirements(tmp_path: Path) -> Path:
    """The `course` extra as a requirements file: what the Colab setup cell installs."""
    reqs = tmp_path / "course-requirements.txt"
    reqs.write_text("\n".join(PYPROJECT["project"]["optional-dependencies"]["course"]) + "\n")
    return reqs


def _dry_run(tmp_path: Path, python: str, *constraints: str) -> subprocess.CompletedProcess:
    cmd = [
        sys.executable, "-m", "pip", "install", "--dry-run", "--quiet",
        "--disable-pip-version-check", "--python-version", python, "--only-binary=:all:",
        "--target", str(tmp_path / f"target-{python}"),
        "-r", str(_course_requirements(tmp_path)), *constraints,
    ]  # fmt: skip
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    except subprocess.TimeoutExpired:
        pytest.skip("pip could not resolve within 240 s: the package registry is too slow")
    if any(s in done.stderr for s in UNREACHABLE):
        pytest.skip("the package registry cannot be reached from here")
    return done


def test_the_colab_install_resolves_for_python_3_12(tmp_path):
    done = _dry_run(tmp_path, "3.12", "-c", str(ROOT / "constraints.txt"))  # the tested pins
    assert done.returncode == 0, done.stderr[-2000:]


def test_python_3_10_is_refused_with_the_required_python_named(tmp_path):
    done = _dry_run(tmp_path, "3.10")  # as the setup cell installs it: no constraints
    assert done.returncode != 0
    assert "require a different python version" in done.stderr, done.stderr[-2000:]
    assert re.search(r"5\.23\.0 Requires-Python >=3\.11", done.stderr), done.stderr[-2000:]
    assert "No matching distribution found for transformers" in done.stderr
