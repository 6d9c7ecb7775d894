"""Bump the course to a new release everywhere, commit, and tag it: ``make release VERSION=X.Y.Z``.

The version lives in course_utils/version.py only (pyproject.toml reads it from there); this
rewrites it, then every notebook's setup cell (scripts/setup_cell.py: install line @vX.Y.Z and
cu.check_version("X.Y.Z")), the badges file (scripts/badges.py, which names the release) and the
setup cell shown in CONTRIBUTING.md, refuses to go on if any tracked file still names the old
release's install line or check, and makes the commit and the tag vX.Y.Z. Push with
``git push origin main vX.Y.Z``: the notebooks install from that tag.

The first time, when version.py's release has no tag yet, ``make release VERSION=<that release>``
only checks that every setup cell and the badges name it and tags HEAD.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSION_PY = ROOT / "course_utils" / "version.py"
ASSIGN = re.compile(r'^__version__ = "([^"]*)"$', re.M)


def _release(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in v.split("."))


def validate(new: str, current: str, first_tag: bool = False) -> None:
    """Stop unless ``new`` is X.Y.Z and newer than ``current`` (or equal, to tag it the first
    time: ``first_tag``)."""
    if not re.fullmatch(r"\d+\.\d+\.\d+", new):
        raise SystemExit(f"VERSION must look like X.Y.Z (for example 1.1.0), not {new!r}")
    if first_tag and new == current:
        return
    if _release(new) <= _release(current):
        raise SystemExit(f"VERSION {new} must be newer than the current {current}")


def current_version(path: Path = VERSION_PY) -> str:
    m = ASSIGN.search(path.read_text())
    if not m:
        raise SystemExit(f'{path} has no line __version__ = "X.Y.Z"')
    return m.group(1)


def bump_version_file(path: Path, new: str) -> None:
    """Rewrite the one ``__version__ = "…"`` line of version.py."""
    text, n = ASSIGN.subn(f'__version__ = "{new}"', path.read_text())
    if n != 1:
        raise SystemExit(f"{path}: expected one __version__ line, found {n}")
    path.write_text(text)


DOCS = ("CONTRIBUTING.md",)  # prose that shows the setup cell


def stale_patterns(old: str) -> list[str]:
    """What names a release in the tree: its install line's tag and the setup cell's check."""
    return [f'@v{old}"', f'check_version("{old}")']


def bump_docs(old: str, new: str) -> None:
    """Rewrite the setup cell shown in the docs (the install tag and the version check)."""
    for name in DOCS:
        path = ROOT / name
        if path.is_file():
            text = path.read_text()
            for was, now in zip(stale_patterns(old), stale_patterns(new), strict=True):
                text = text.replace(was, now)
            path.write_text(text)


def left_behind(old: str) -> list[str]:
    """Tracked files that still name the old release (git grep; tests name versions freely)."""
    args = [a for p in stale_patterns(old) for a in ("-e", p)]
    out = subprocess.run(
        ["git", "grep", "-l", "-F", *args, "--", ".", ":!tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout
    return out.split()


def run(*cmd: str) -> None:
    print("+", " ".join(cmd))
    subprocess.run(cmd, cwd=ROOT, check=True)


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout


def tag_current(version: str) -> int:
    """The release in version.py has no tag yet: check every place names it, then tag HEAD."""
    for script in ("setup_cell.py", "badges.py"):
        if subprocess.run([sys.executable, f"scripts/{script}", "--check"], cwd=ROOT).returncode:
            raise SystemExit(f"scripts/{script} --check failed: run `make badges` / the script")
    run("git", "tag", "-a", f"v{version}", "-m", f"Release v{version}")
    print(f"tagged v{version}; publish with: git push origin main v{version}")
    return 0


def main(new: str, tag: bool = True) -> int:
    old = current_version()
    untagged = not _git("tag", "--list", f"v{old}").strip()
    validate(new, old, first_tag=untagged)
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if dirty.strip():
        raise SystemExit(f"commit or stash your changes first:\n{dirty}")
    if new == old:
        return tag_current(new)
    bump_version_file(VERSION_PY, new)
    # fresh interpreters, so both scripts read the new version from version.py
    run(sys.executable, "scripts/setup_cell.py", "--version", new)
    run(sys.executable, "scripts/badges.py")
    bump_docs(old, new)
    run("git", "add", "course_utils/version.py", "notebooks", "colab_badges.md", "README.md", *DOCS)
    stale = left_behind(old)
    if stale:
        raise SystemExit(
            f"nothing committed or tagged: {', '.join(stale)} still name {old}. Update them, "
            f"then `git add` them, `git commit -m 'Release v{new}'` and "
            f"`git tag -a v{new} -m 'Release v{new}'`."
        )
    run("git", "commit", "-m", f"Release v{new}")
    if tag:
        run("git", "tag", "-a", f"v{new}", "-m", f"Release v{new}")
        print(f"tagged v{new}; publish with: git push origin main v{new}")
    return 0


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        raise SystemExit("usage: python scripts/release.py X.Y.Z [--no-tag]")
    raise SystemExit(main(args[0], tag="--no-tag" not in sys.argv))
