"""cu.prefetch: the course's download list matches the notebooks, and bad input is refused.

The online half (sizes against the Hub's metadata, a prefetch then an offline run) is in
tests/test_online_prefetch.py, against the Hub emulator.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from standins import BY_ID

import course_utils as cu
from course_utils.classroom import COURSE_DOWNLOADS, parse_parts

ROOT = Path(__file__).resolve().parent.parent
REPO_ID = re.compile(r"""["']([A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*)["']""")


def notebook_ids(part: int) -> set[str]:
    """The Hub ids a part's code cells and its exercise checkers name (the ids the stand-in Hub
    serves): an offline classroom must be able to check the exercises too."""
    (path,) = (ROOT / "notebooks").glob(f"{part:02d}_*.ipynb")
    cells = json.loads(path.read_text())["cells"]
    found = {
        m for c in cells if c["cell_type"] == "code" for m in REPO_ID.findall("".join(c["source"]))
    }
    checker = ROOT / "course_utils" / "exercises" / f"part{part}.py"
    found |= set(REPO_ID.findall(checker.read_text()))
    return found & set(BY_ID)


@pytest.mark.parametrize("part", sorted(COURSE_DOWNLOADS))
def test_download_list_names_exactly_the_ids_each_notebook_uses(part):
    listed = {d.repo_id for d in COURSE_DOWNLOADS[part]}
    assert listed == notebook_ids(part), (
        f"COURSE_DOWNLOADS[{part}] in course_utils/downloads.py is out of step with the notebook "
        f"and its exercises: "
        f"add {sorted(notebook_ids(part) - listed)}, drop {sorted(listed - notebook_ids(part))}"
    )


def test_pipeline_default_revisions_are_prefetched():
    # pipeline(task) with no model pins a short revision; offline it resolves only if that ref
    # was fetched too, so every pinned ref of a listed repo is listed in the same parts
    for part, downloads in COURSE_DOWNLOADS.items():
        for d in downloads:
            for ref in BY_ID[d.repo_id].refs:
                assert (d.repo_id, ref) in {(x.repo_id, x.revision) for x in downloads}, (
                    f"part {part}: add Download({d.repo_id!r}, revision={ref!r})"
                )


def test_no_pickle_weights_are_fetched():
    for downloads in COURSE_DOWNLOADS.values():
        for d in downloads:
            assert not any(p.endswith((".bin", ".h5", ".msgpack", ".pt", ".ckpt")) for p in d.files)


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("1-9", list(range(1, 10))),
        ("3,8", [3, 8]),
        (8, [8]),
        ([6, 8], [6, 8]),
        (" 2 - 4 ", [2, 3, 4]),
        (None, list(range(1, 10))),
    ],
)
def test_parts_are_parsed(text, parts):
    assert parse_parts(text) == parts


@pytest.mark.parametrize("bad", ["10", "0-3", "eight", "", "1-", True, 3.5, "9-7"])
def test_unknown_parts_are_refused_with_the_valid_range(bad):
    with pytest.raises(cu.BadInputError, match=r"1-9|part number|parts must"):
        parse_parts(bad)


def test_offline_prefetch_says_to_unset_offline_mode():
    with pytest.raises(cu.OfflineError, match="HF_HUB_OFFLINE"):
        cu.prefetch("1", dry_run=True)


def test_the_instructors_page_names_every_download():
    page = (ROOT / "docs" / "INSTRUCTORS.md").read_text()
    named = {d.repo_id for ds in COURSE_DOWNLOADS.values() for d in ds}
    short = {r: r.split("/")[1] for r in named}
    missing = [r for r in named if f"`{r}`" not in page and short[r].split("-")[0] not in page]
    assert not missing, f"docs/INSTRUCTORS.md does not mention {missing}"


def test_temporary_files_a_killed_run_left_are_swept_and_live_ones_kept(monkeypatch, tmp_path):
    import os
    import time

    from huggingface_hub import constants

    from course_utils import classroom

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    blobs = tmp_path / "models--a--b" / "blobs"
    blobs.mkdir(parents=True)
    old, live, done = (
        blobs / "e1.1a2b3c4d.incomplete",
        blobs / "e2.5e6f7a8b.incomplete",
        blobs / "e3",
    )
    for f in (old, live, done):
        f.write_bytes(b"x" * 10)
    hour_ago = time.time() - 3600
    os.utime(old, (hour_ago, hour_ago))
    os.utime(done, (hour_ago, hour_ago))
    classroom._sweep_orphans("a/b")
    assert not old.exists() and live.exists() and done.exists()


def test_disk_failures_are_told_apart_from_network_ones():
    import errno

    from huggingface_hub.errors import OfflineModeIsEnabled

    from course_utils.classroom import (
        CacheNotWritableError,
        DiskFullError,
        Download,
        _download_error,
    )

    d = Download("a/b")
    wrapped = RuntimeError("a worker thread failed")
    wrapped.__cause__ = OSError(errno.ENOSPC, "No space left on device")
    for exc in (OSError(errno.ENOSPC, "No space left on device"), wrapped):
        error = _download_error(d, exc)
        assert isinstance(error, DiskFullError) and "free some space" in str(error).lower()
    denied = _download_error(d, PermissionError(errno.EACCES, "Permission denied", "/x"))
    assert isinstance(denied, CacheNotWritableError) and "may not write to" in str(denied)
    cut = _download_error(d, OfflineModeIsEnabled("the Hub did not answer"))
    assert isinstance(cut, cu.OfflineError) and "broke off" in str(cut)
    assert "Run the same prefetch again" in str(cut)
