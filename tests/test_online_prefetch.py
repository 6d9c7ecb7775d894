"""cu.prefetch online (issue 19), against the Hub emulator: sizes, downloads, then offline.

The dry run's sizes must equal the emulator's file sizes; after a prefetch into an empty cache
every part resolves offline, and all nine notebooks then run with HF_HUB_OFFLINE=1 on that cache
alone (an instructor's room).
"""

from __future__ import annotations

import fnmatch
import os
import subprocess
import sys

import pytest

from course_utils.classroom import COURSE_DOWNLOADS
from tests.hub_emulator import HubEmulator
from tests.online import ROOT, online_env, run_online

INSTRUCTOR = "hf_emuInstructorToken0123456789abcd"  # emulator-only, not a real token
GATED = sorted(
    {
        d.repo_id
        for ds in COURSE_DOWNLOADS.values()
        for d in ds
        if d.repo_id.startswith(("meta-llama/", "google/gemma"))
    }
)
SIZES = "{i.download.label: [i.size, i.to_fetch, i.status] for i in r.items}"


def _expected(hub: HubEmulator, repo_id: str, patterns: tuple[str, ...]) -> int:
    files = hub.repos[repo_id].files
    return sum(
        f.size for name, f in files.items() if any(fnmatch.fnmatch(name, p) for p in patterns)
    )


@pytest.fixture(scope="module")
def hub():
    with HubEmulator() as emulator:
        emulator.add_token(INSTRUCTOR, user="instructor")
        for repo_id in GATED:
            emulator.set_access(INSTRUCTOR, repo_id, "accepted")
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


def test_prefetch_then_the_whole_course_runs_offline(hub, tmp_path):
    home = tmp_path / "room-cache"
    run = run_online(
        {
            "fetch": "cli('prefetch', '--include-gated')['stdout']",
            "again": f"(lambda r: {SIZES})(cu.prefetch('1-9', dry_run=True, include_gated=True))",
        },
        hub.url,
        token=INSTRUCTOR,
        home=home,
        deadline=300,
        name="prefetch-all",
    )
    fetch, again = run["fetch"], run["again"]
    assert fetch.ok, fetch.says()
    assert "every part resolves with HF_HUB_OFFLINE=1" in fetch.text, fetch.text
    assert f"export HF_HOME={home} HF_HUB_OFFLINE=1" in fetch.text
    assert INSTRUCTOR not in run.raw
    assert again.ok and all(
        to_fetch == 0 and status == "ready" for _, to_fetch, status in again.value.values()
    ), again.value
    if os.environ.get("COURSE_ONLINE_NOTEBOOKS") == "0":
        pytest.skip("COURSE_ONLINE_NOTEBOOKS=0: the offline notebook run on the prefetched cache")
    env = online_env("http://127.0.0.1:9", home)  # a closed port: nothing may reach a Hub
    env.update(HF_HUB_OFFLINE="1", COURSE_ONLINE_HUB="1")  # conftest keeps this HF_HOME
    env.pop("CI", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "notebooks", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-5000:]
