"""course_utils.version: one version in one place, the pinned install line, the setup cell's check,
and the scripts built on them (oldest_constraints, setup_cell, release)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from course_utils import course, version
from course_utils.errors import CourseError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import oldest_constraints  # noqa: E402
import release  # noqa: E402
import setup_cell  # noqa: E402


def test_ranges_shipped_in_the_package_equal_requirements_txt():
    want = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        spec = line.partition("#")[0].strip()
        if spec:
            name = re.split(r"[<>=!]", spec)[0]
            want[name] = spec[len(name) :].replace(" ", "")
    assert version.TESTED_RANGES == want
    assert (
        tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
        == version.PYTHON_RANGE
    )


def test_pyproject_reads_the_version_from_version_py():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in meta["project"] and meta["project"]["dynamic"] == ["version"]
    assert meta["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "course_utils.version.__version__"
    }
    assert re.fullmatch(r"\d+\.\d+\.\d+", version.__version__)


def test_install_line_pins_the_release_tag():
    line = version.install_line("1.4.2", repo=course.REPO)
    assert line == (
        f'%pip install -q "practical-pytorch[course] @ git+https://github.com/{course.REPO}@v1.4.2"'
    )
    assert version.DEFAULT_REPO == course.REPO
    assert version.install_line().endswith(f'@v{version.__version__}"')


def test_check_version_passes_and_remembers_what_the_notebook_asked_for():
    assert version.check_version(version.__version__) == version.__version__
    assert version.last_expected() == version.__version__


def test_mismatch_says_restart_with_the_exact_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", object())
    monkeypatch.setattr(version, "_installed_version", lambda: "0.9.0")
    with pytest.raises(version.VersionMismatchError) as info:
        version.check_version("9.9.9")
    msg = str(info.value)
    assert isinstance(info.value, CourseError)
    assert (
        "written for course_utils 9.9.9, but this runtime imported course_utils "
        f"{version.__version__}" in msg
    )
    assert "Runtime → Restart session" in msg
    assert version.install_line("9.9.9") in msg  # the exact line to run


def test_mismatch_after_pip_already_upgraded_says_python_holds_the_old_one(monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", object())
    monkeypatch.setattr(version, "_installed_version", lambda: "9.9.9")
    with pytest.raises(version.VersionMismatchError, match="pip has already installed 9.9.9"):
        version.check_version("9.9.9")


def test_mismatch_outside_colab_gives_the_local_commands(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    with pytest.raises(version.VersionMismatchError) as info:
        version.check_version("9.9.9")
    assert "git checkout v9.9.9" in str(info.value) and "pip install -e ." in str(info.value)


def test_a_stale_course_utils_in_a_real_process_stops_with_the_message(tmp_path):
    """An older release on sys.path (a runtime that imported it earlier) meets a newer notebook."""
    shutil.copytree(
        ROOT / "course_utils",
        tmp_path / "course_utils",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    vfile = tmp_path / "course_utils" / "version.py"
    vfile.write_text(
        vfile.read_text().replace(f'__version__ = "{version.__version__}"', '__version__ = "0.0.1"')
    )
    code = (
        "import course_utils.version as v\n"
        "try:\n    v.check_version('1.0.0')\n"
        "except v.VersionMismatchError as e:\n    print('RAISED', e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)},
        timeout=60,
    )
    assert out.stdout.startswith(
        "RAISED This notebook was written for course_utils 1.0.0, but this "
        "runtime imported course_utils 0.0.1"
    ), out.stdout + out.stderr


def test_the_pinned_install_line_installs_that_release(tmp_path):
    """pip really installs the tag the line names (a local git repo stands in for GitHub)."""
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    shutil.copytree(
        ROOT / "course_utils", repo / "course_utils", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, repo / name)
    run = lambda *a: subprocess.run([git, "-C", str(repo), *a], check=True, capture_output=True)  # noqa: E731
    run("init", "-q")
    run("add", ".")
    run("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "release")
    run("tag", version.tag())
    (repo / "course_utils" / "version.py").write_text("__version__ = 'moved on'\n")
    run("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "main moved on")
    line = version.install_line(repo="OWNER/NAME").replace(
        "https://github.com/OWNER/NAME", f"file://localhost{repo}"
    )  # old pip wants a host
    args = line.removeprefix("%pip install ").replace('"', "").split(" @ ", 1)
    target = tmp_path / "site"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            f"{args[0].split()[-1]} @ {args[1]}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    installed = (target / "course_utils" / "version.py").read_text()
    assert f'__version__ = "{version.__version__}"' in installed  # the tag, not what main became
    assert list(target.glob(f"practical_pytorch-{version.__version__}.dist-info"))


# --- scripts/oldest_constraints.py ---------------------------------------------------------


def test_oldest_constraints_pin_each_lower_bound(tmp_path):
    req = tmp_path / "requirements.txt"
    req.write_text(
        "# c\ntorch>=2.6,<2.14   # parts\nsafetensors>=0.6,<1  # x\nfoo<2  # no lower bound\n"
    )
    Version = oldest_constraints.Version
    releases = {
        "torch": ["2.5.1", "2.6.0", "2.6.1", "2.13.0+cpu", "2.14.0"],
        "safetensors": ["0.5.3", "0.6.1", "0.6.2", "1.0.0", "0.7.0rc1"],
    }
    text = oldest_constraints.constraints(req, lambda n: [Version(v) for v in releases[n]])
    lines = text.splitlines()
    assert "torch==2.6.0" in lines
    assert "safetensors==0.6.1  # 0.6 was never released; the oldest in range" in lines
    assert "# foo: no lower bound in requirements.txt, left to the resolver" in lines


def test_oldest_constraints_cover_every_requirement():
    names = [n for n, _ in oldest_constraints.requirements(ROOT / "requirements.txt")]
    assert sorted(names) == sorted(version.TESTED_RANGES)
    assert all(
        oldest_constraints.lower_bound(s)
        for _, s in oldest_constraints.requirements(ROOT / "requirements.txt")
    )


# --- scripts/setup_cell.py -----------------------------------------------------------------


@pytest.fixture
def notebooks(tmp_path):
    for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        shutil.copy(p, tmp_path / p.name)
    return sorted(tmp_path.glob("*.ipynb"))


def first_code(path: Path) -> dict:
    return next(c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")


def test_setup_cell_rewrite_is_idempotent_and_keeps_ids(notebooks):
    before = {p: json.loads(p.read_text()) for p in notebooks}
    setup_cell.main([str(p) for p in notebooks])
    after_once = {p: p.read_text() for p in notebooks}
    assert setup_cell.main(["--check", *map(str, notebooks)]) == 0
    setup_cell.main([str(p) for p in notebooks])
    assert {p: p.read_text() for p in notebooks} == after_once  # second run: no change
    for p in notebooks:
        new, old = json.loads(p.read_text()), before[p]
        assert [c.get("id") for c in new["cells"]] == [c.get("id") for c in old["cells"]]
        assert new["cells"][2:] == old["cells"][2:]  # only the setup cell changed
        src = "".join(first_code(p)["source"])
        assert version.install_line() in src
        assert f'cu.check_version("{version.__version__}")' in src
        assert src.rstrip().endswith("cu.gpu_report()")
        assert src.index("import course_utils as cu") < src.index("cu.check_version")


def test_setup_cell_is_valid_python_once_the_magic_is_a_call(notebooks):
    src = setup_cell.setup_source("2.0.0")
    compile(re.sub(r"%pip install .*", "pass", src), "setup", "exec")
    assert "dependency conflicts" in src and "@v2.0.0" in src


def test_setup_cell_check_reports_a_stale_cell(notebooks, capsys):
    setup_cell.main([str(p) for p in notebooks])
    assert setup_cell.main(["--check", "--version", "7.0.0", str(notebooks[0])]) == 1
    assert notebooks[0].name in capsys.readouterr().out


def test_setup_cell_refuses_a_notebook_without_a_setup_cell(tmp_path):
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "id": "x",
                "metadata": {},
                "outputs": [],
                "execution_count": None,
                "source": ["print(1)"],
            }
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp_path / "01_x.ipynb"
    path.write_text(json.dumps(nb))
    with pytest.raises(SystemExit, match="not a setup cell"):
        setup_cell.rewrite(path)


# --- scripts/release.py --------------------------------------------------------------------


def test_release_bumps_version_py_and_every_setup_cell(tmp_path, notebooks):
    vfile = tmp_path / "version.py"
    shutil.copy(ROOT / "course_utils" / "version.py", vfile)
    release.bump_version_file(vfile, "1.2.3")
    assert '__version__ = "1.2.3"' in vfile.read_text()
    for p in notebooks:
        setup_cell.rewrite(p, "1.2.3")
        assert "@v1.2.3" in "".join(first_code(p)["source"])


GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@t",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@t",
}


def _release_repo(tmp_path: Path) -> tuple[Path, object]:
    """A throw-away git repository holding what a release rewrites (never this worktree)."""
    repo = tmp_path / "course"
    # _work holds what the notebooks wrote when they ran here (Part 8's offload folders, Part 9's
    # Space: hundreds of MB); a release rewrites none of it
    ignore = shutil.ignore_patterns("__pycache__", "assets", "_work", "*.py[co]")
    for folder in ("course_utils", "scripts", "notebooks"):
        shutil.copytree(ROOT / folder, repo / folder, ignore=ignore)
    for name in ("pyproject.toml", "README.md", "CONTRIBUTING.md", "colab_badges.md"):
        shutil.copy(ROOT / name, repo / name)

    def git(*args: str) -> str:
        out = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, env=GIT_ENV
        )
        assert out.returncode == 0 or args[0] == "grep", out.stderr  # grep: 1 is "none found"
        return out.stdout

    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "before the release")
    return repo, git


def test_make_release_bumps_every_place_commits_and_tags(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    old = version.__version__
    major, minor, patch = map(int, old.split("."))
    new = f"{major}.{minor}.{patch + 1}"
    repo, git = _release_repo(tmp_path)
    out = subprocess.run(
        [sys.executable, "scripts/release.py", new],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        env=GIT_ENV,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert git("tag", "--points-at", "HEAD").split() == [f"v{new}"]
    assert git("log", "-1", "--format=%s").strip() == f"Release v{new}"
    assert git("status", "--porcelain") == ""  # everything it changed is in the commit
    assert f'__version__ = "{new}"' in (repo / "course_utils" / "version.py").read_text()
    for pattern in release.stale_patterns(old):  # no place still names the old release
        assert git("grep", "-l", "-F", pattern, "--", ".").split() == [], pattern
    changed = git("show", "--name-only", "--format=", "HEAD").split()
    assert "CONTRIBUTING.md" in changed and "colab_badges.md" in changed
    assert len([c for c in changed if c.endswith(".ipynb")]) == 9
    for script in ("setup_cell.py", "badges.py"):  # both agree the tree is up to date
        check = subprocess.run(
            [sys.executable, f"scripts/{script}", "--check"], cwd=repo, capture_output=True
        )
        assert check.returncode == 0, (script, check.stdout, check.stderr)
    assert f"Release v{new}:" in (repo / "colab_badges.md").read_text()


def test_the_first_release_is_tagged_as_it_is_once(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    old = version.__version__
    repo, git = _release_repo(tmp_path)
    head = git("rev-parse", "HEAD")

    def release_it():
        cmd = [sys.executable, "scripts/release.py", old]
        return subprocess.run(cmd, cwd=repo, capture_output=True, text=True, env=GIT_ENV)

    out = release_it()
    assert out.returncode == 0, out.stdout + out.stderr
    assert git("rev-parse", "HEAD") == head and git("tag", "--points-at", "HEAD").split() == [
        f"v{old}"
    ]
    again = release_it()
    assert again.returncode != 0 and "must be newer" in again.stderr


def test_release_stops_before_committing_when_a_place_is_left_behind(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    old = version.__version__
    repo, git = _release_repo(tmp_path)
    (repo / "docs.md").write_text(f'pip install "x @ git+https://example/course@v{old}"\n')
    git("add", "docs.md")
    git("commit", "-qm", "a page that names the release")
    out = subprocess.run(
        [sys.executable, "scripts/release.py", "99.0.0"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=GIT_ENV,
    )
    assert out.returncode != 0 and "docs.md still name" in out.stderr, out.stderr
    assert (
        git("tag") == ""
        and git("log", "-1", "--format=%s").strip() == "a page that names the release"
    )


@pytest.mark.parametrize("bad", ["1.2", "v1.2.3", "1.2.3-beta", ""])
def test_release_refuses_a_version_that_is_not_x_y_z(bad):
    with pytest.raises(SystemExit, match="X.Y.Z"):
        release.validate(bad, current="1.0.0")


def test_release_refuses_to_go_backwards():
    with pytest.raises(SystemExit, match="newer than"):
        release.validate("0.9.0", current="1.0.0")


def test_weekly_workflow_runs_both_version_targets_that_the_makefile_has():
    import yaml

    flow = yaml.safe_load((ROOT / ".github" / "workflows" / "versions.yml").read_text())
    on = flow.get("on", flow.get(True))
    assert "schedule" in on and "workflow_dispatch" in on
    assert flow["jobs"]["suite"]["strategy"]["matrix"]["target"] == ["test-latest", "test-oldest"]
    makefile = (ROOT / "Makefile").read_text()
    for target in ("test-latest:", "test-oldest:", "test-colab:", "release:"):
        assert f"\n{target}" in makefile
