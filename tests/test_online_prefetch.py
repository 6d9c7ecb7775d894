"""cu.prefetch online (issue 19), against the Hub emulator: sizes, downloads, then offline.

The dry run's sizes must equal the emulator's file sizes; after a prefetch into an empty cache
every part resolves offline, and all nine notebooks then run with HF_HUB_OFFLINE=1 on that cache
alone (an instructor's room: the offline notebook run of `make test` starts its kernels there,
tests/room.py via conftest.py). Bad input: no network (closed port, stalled socket), a download
that breaks off part-way, a disk that is full before or fills during the download, gated models
without access: one line with the next step, nothing half-written in the cache, and a second run
completes it.
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

import pytest

from course_utils.classroom import COURSE_DOWNLOADS
from tests.hub_emulator import HubEmulator
from tests.online import run_online
from tests.room import GATED, INSTRUCTOR, NO_ACCESS, SIZES, room, room_hub

SST2 = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"  # Part 1's only model


def _expected(hub: HubEmulator, repo_id: str, patterns: tuple[str, ...]) -> int:
    files = hub.repos[repo_id].files
    return sum(
        f.size for name, f in files.items() if any(fnmatch.fnmatch(name, p) for p in patterns)
    )


@pytest.fixture(scope="module")
def hub():
    with room_hub() as emulator:
        yield emulator


def test_dry_run_sizes_are_the_hubs_file_sizes_and_gated_models_are_skipped(hub, tmp_path):
    run = run_online(
        {
            "dry": f"(lambda r: {SIZES})(cu.prefetch('1-9', dry_run=True))",
            "text": "str(cu.prefetch('8', dry_run=True))",
        },
        hub.url,
        home=tmp_path,
        deadline=120,
        name="prefetch-dry",
    )
    dry = run["dry"]
    assert dry.ok, dry.says()
    downloads = {d.label: d for ds in COURSE_DOWNLOADS.values() for d in ds}
    assert set(dry.value) == set(downloads)
    for label, (size, to_fetch, status) in dry.value.items():
        d = downloads[label]
        if d.repo_id in GATED:  # no token: skipped with the page where the terms are accepted
            assert status.startswith("skipped") and d.repo_id in status, (label, status)
            continue
        assert size == to_fetch == _expected(hub, d.repo_id, d.files) > 0, (label, size)
        assert status == "would download"
    assert "still to download" in run["text"].text and "offline check" not in run["text"].text
    assert not any(p.endswith((".bin", ".h5")) for _, p, _, _ in hub.requests if "/resolve/" in p)


def test_prefetch_fills_the_cache_for_the_whole_course():
    run, home = room()
    fetch, again = run["fetch"], run["again"]
    assert fetch.ok, fetch.says()
    assert "every part resolves with HF_HUB_OFFLINE=1" in fetch.text, fetch.text
    assert f"export HF_HOME={home} HF_HUB_OFFLINE=1" in fetch.text
    assert INSTRUCTOR not in run.raw
    assert again.ok and all(
        to_fetch == 0 and status == "ready" for _, to_fetch, status in again.value.values()
    ), again.value


# The nine notebooks then run offline on that cache: conftest.py starts every kernel of the
# offline notebook run there (tests/room.py), so a notebook that needs a file the prefetch left
# out fails its own cells. This checks the wiring.
def test_the_offline_notebook_run_starts_its_kernels_in_the_room(monkeypatch):
    from nbval.plugin import IPyNbFile

    seen = {}
    monkeypatch.setattr(
        "tests.room.room_env", lambda: {"HF_HOME": "the-room", "HF_HUB_OFFLINE": "1"}
    )
    monkeypatch.setenv("HF_TOKEN", "hf_emuLeakedToken0123456789abcdef")
    import conftest

    monkeypatch.setattr(conftest, "_nbval_setup", lambda self: seen.update(os.environ))
    IPyNbFile.setup(object())
    assert seen["HF_HOME"] == "the-room" and seen["HF_HUB_OFFLINE"] == "1"
    assert "HF_TOKEN" not in seen
    assert os.environ["HF_TOKEN"] == "hf_emuLeakedToken0123456789abcdef"  # restored after


# --- bad input ---------------------------------------------------------------------------------


def half_written(hub: HubEmulator, home: Path) -> list[str]:
    """Temporary download files, and cached files whose size is not the Hub's."""
    bad = [str(p) for p in home.rglob("*.incomplete")]
    for path in (home / "hub").glob("models--*/snapshots/*/**/*"):
        if path.is_file():
            folder = next(p for p in path.parents if p.parent.name == "snapshots")
            repo_id = folder.parent.parent.name.removeprefix("models--").replace("--", "/", 1)
            want = hub.repos[repo_id].files[path.relative_to(folder).as_posix()].size
            if path.stat().st_size != want:
                bad.append(f"{path} ({path.stat().st_size} of {want} bytes)")
    return bad


def one_line_error(outcome) -> str:
    """The CLI's failure: exit code 1 and one line 'error: ...', last on stderr (before it: the
    progress bars, and huggingface_hub's debug log, which tests/online.py switches on)."""
    assert outcome.ok, outcome.says()
    cli = outcome.value
    lines = cli["stderr"].strip().splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert cli["rc"] == 1 and errors == lines[-1:], cli
    assert "bug in course_utils" not in errors[0] and "Traceback" not in cli["stderr"]
    return errors[0]


COMPLETE = "every part resolves with HF_HUB_OFFLINE=1"


def test_an_unknown_part_is_refused_before_anything_is_fetched(hub, tmp_path):
    run = run_online({"cli": "cli('prefetch', '--parts', '10')"}, hub.url, home=tmp_path)
    line = one_line_error(run["cli"])
    assert "there is no part [10]" in line and "--parts 6-9" in line, line
    assert not (tmp_path / "hub").exists()


@pytest.mark.parametrize("where", ["closed", "stalled"])
def test_no_network_says_so_in_one_line_and_a_second_run_completes(hub, tmp_path, where):
    endpoint = hub.closed_url if where == "closed" else hub.stalled_url
    run = run_online(
        {"cli": "cli('prefetch', '--parts', '1')"}, endpoint, home=tmp_path, deadline=120
    )
    line = one_line_error(run["cli"])
    assert line.startswith(f"error: prefetch cannot reach the Hub at {endpoint} ("), line
    assert "HTTPS_PROXY" in line and "run the same command again" in line
    assert run["cli"].seconds < (10 if where == "closed" else 45), run["cli"].says()
    assert half_written(hub, tmp_path) == []
    again = run_online({"cli": "cli('prefetch', '--parts', '1')"}, hub.url, home=tmp_path)
    assert again["cli"].value["rc"] == 0 and COMPLETE in again["cli"].value["stdout"]


def test_a_download_that_breaks_off_leaves_nothing_half_written_and_resumes(hub, tmp_path):
    weights = hub.repos[SST2].files["model.safetensors"]
    hub.cut(SST2, "model.safetensors", weights.size // 2)
    try:
        run = run_online(
            {"cli": "cli('prefetch', '--parts', '1')"}, hub.url, home=tmp_path, deadline=120
        )
    finally:
        hub.cuts.clear()
    line = one_line_error(run["cli"])
    assert f"The download of {SST2}" in line and "broke off" in line, line
    assert "Run the same prefetch again" in line and "nothing half-written was kept" in line
    assert half_written(hub, tmp_path) == []
    assert not list(tmp_path.glob("hub/models--*/snapshots/*/model.safetensors"))
    again = run_online({"cli": "cli('prefetch', '--parts', '1')"}, hub.url, home=tmp_path)
    assert again["cli"].value["rc"] == 0 and COMPLETE in again["cli"].value["stdout"], again
    assert half_written(hub, tmp_path) == []
    (got,) = tmp_path.glob("hub/models--*sst-2*/snapshots/*/model.safetensors")
    assert got.stat().st_size == weights.size


FULL_BEFORE = (
    "exec('import collections, shutil\\n"
    'U = collections.namedtuple("U", "total used free")\\n'
    "shutil.disk_usage = lambda path: U(2**30, 2**30 - 4096, 4096)')"
)
# the disk fills while the weights are written: every write past 1 MB of one file fails ENOSPC
FILLS_DURING = (
    "exec('import errno\\nimport huggingface_hub.file_download as fd\\nreal = fd.http_get\\n"
    "class Full:\\n    def __init__(self, f):\\n        self.f, self.n = f, 0\\n"
    "    def write(self, b):\\n        if self.n + len(b) > 2**20:\\n"
    '            raise OSError(errno.ENOSPC, "No space left on device")\\n'
    "        self.n += len(b)\\n        return self.f.write(b)\\n"
    "    def __getattr__(self, name):\\n        return getattr(self.f, name)\\n"
    "fd.http_get = lambda url, temp_file, **kw: real(url, Full(temp_file), **kw)')"
)


@pytest.mark.parametrize("when", ["before", "during"])
def test_a_full_disk_says_free_some_space_and_a_second_run_completes(hub, tmp_path, when):
    run = run_online(
        {"full": FULL_BEFORE if when == "before" else FILLS_DURING, "run": "cu.prefetch('1')"},
        hub.url,
        home=tmp_path,
        deadline=120,
    )
    assert run["full"].ok, run["full"].says()
    failed = run["run"]
    assert failed.exc_class == "DiskFullError" and "CourseError" in failed.exc_mro, failed.says()
    assert "\n" not in failed.text and "free some space" in failed.text.lower(), failed.text
    assert "run prefetch again" in failed.text
    if when == "during":
        assert f"while downloading {SST2}" in failed.text and "half-written" in failed.text
    assert half_written(hub, tmp_path) == []
    again = run_online({"cli": "cli('prefetch', '--parts', '1')"}, hub.url, home=tmp_path)
    assert again["cli"].value["rc"] == 0 and COMPLETE in again["cli"].value["stdout"]


def test_gated_models_without_access_are_skipped_with_the_next_step(hub, tmp_path):
    call = f"(lambda r: {SIZES})(cu.prefetch('3,8', dry_run=True, include_gated=True))"
    without = run_online({"dry": call}, hub.url, token=NO_ACCESS, home=tmp_path)
    anonymous = run_online({"dry": call}, hub.url, home=tmp_path)
    for run, says in (
        (without, "skipped: no access yet, accept the terms at"),
        (anonymous, "skipped: gated and no Hub token; set HF_TOKEN"),
    ):
        assert run["dry"].ok, run["dry"].says()
        statuses = run["dry"].value
        for label, (size, _to_fetch, status) in statuses.items():
            if label.split("@")[0] in GATED:
                assert status.startswith(says) and f"{hub.url}/{label}" in status, status
                assert size == 0
            else:
                assert status == "would download", (label, status)
    assert NO_ACCESS not in without.raw
