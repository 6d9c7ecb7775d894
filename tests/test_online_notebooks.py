"""All nine notebooks, online, the way they run on Colab (issue 13).

nbval runs them in a child pytest with HF_HUB_OFFLINE unset, HF_ENDPOINT at the Hub emulator
(tests/hub_emulator.py) and an empty HF_HOME: every model downloads with its progress bars,
``cu.top_models`` lists from the Hub and the cards are read from the Hub. COURSE_ONLINE_HUB=1
tells conftest.py to keep that environment instead of pointing at the offline stand-in cache.
No token is set: a new learner.

COURSE_ONLINE_NOTEBOOKS=0 skips it (for a quick local run); `make test` runs it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.hub_emulator import HubEmulator
from tests.online import ROOT, online_env

LIMIT_S = 900  # the nine notebooks offline take a few minutes; online they download too


@pytest.mark.skipif(
    os.environ.get("COURSE_ONLINE_NOTEBOOKS") == "0", reason="COURSE_ONLINE_NOTEBOOKS=0"
)
@pytest.mark.skipif(
    os.environ.get("COURSE_REAL_HUB") == "1", reason="the real Hub run is online already"
)
def test_notebooks_run_online_against_the_hub_emulator(tmp_path):
    home = tmp_path / "hf-home"
    report = tmp_path / "nbval.xml"
    with HubEmulator() as hub:
        env = online_env(hub.url, home)
        env["COURSE_ONLINE_HUB"] = "1"
        diffs = tmp_path / "checked-output-diffs.tsv"
        env["COURSE_ONLINE_DIFFS"] = str(diffs)
        env.pop("CI", None)  # as on Colab: nothing says "automated run" except nbval's own stdin
        start = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "notebooks",
                "-q",
                "-p",
                "no:cacheprovider",
                f"--junitxml={report}",
                *_workers(),
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=LIMIT_S,
        )
        seconds = time.perf_counter() - start
        requests, unhandled = list(hub.requests), list(hub.unhandled)
    failures = _failures(report) if report.exists() else [proc.stdout[-4000:] + proc.stderr[-4000:]]
    print(
        f"online notebook run: {seconds:.0f} s, {len(requests)} Hub requests, rc {proc.returncode}"
    )
    if diffs.exists():  # information, not failure: the stored outputs are the offline record
        print("checked cells whose online output differs from the stored (offline) one:")
        print(diffs.read_text())
    assert not failures, (
        f"{len(failures)} notebook cell(s) fail online (run took {seconds:.0f} s):\n\n"
        + "\n\n".join(failures)
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    # it really went online: listings, model info and downloads (LFS through the "CDN")
    assert any(p.startswith("/api/models?") for _, p, _, _ in requests), "no top_models listing"
    assert any("/resolve/" in p and m == "GET" for m, p, _, _ in requests), "no downloads"
    assert any(who == "cdn" for *_, who in requests), "no LFS weights downloaded"
    assert unhandled == [], f"endpoints the emulator does not serve: {unhandled}"
    assert list(home.glob("hub/models--*")), "nothing was cached in the empty HF_HOME"


def _workers() -> list[str]:
    """Two notebook kernels at once when the parent runs alone; one when it shares 2 cores."""
    n = os.environ.get("COURSE_ONLINE_WORKERS", "1")
    return [] if n == "1" else ["-n", n, "--dist", "loadfile"]


def _failures(report: Path) -> list[str]:
    out = []
    for case in ET.parse(report).getroot().iter("testcase"):
        for bad in list(case.findall("failure")) + list(case.findall("error")):
            msg = (bad.get("message") or "") + "\n" + (bad.text or "")
            out.append(f"{case.get('classname')}::{case.get('name')}\n{_tail(msg)}")
    return out


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
