"""Every notebook, online, the way it runs on Colab (issue 13); Parts 1, 8 and 9 run online in the
browser test (tests/test_browser.py) where it can run.

nbval runs each in a child pytest with HF_HUB_OFFLINE unset, HF_ENDPOINT at the Hub emulator
(tests/hub_emulator.py) and an empty HF_HOME: every model downloads with its progress bars,
``cu.top_models`` lists from the Hub and the cards are read from the Hub. COURSE_ONLINE_HUB=1
(set by tests/online.py's run_notebook) tells conftest.py to keep that environment instead of
pointing at the offline stand-in cache. No token is set: a new learner.

COURSE_ONLINE_NOTEBOOKS=0 skips it (for a quick local run); `make test` runs it.
"""

from __future__ import annotations

import os
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests import browser_lab
from tests.hub_emulator import HubEmulator
from tests.online import NOTEBOOKS, check_went_online, online_env, run_notebook

LIMIT_S = 900  # one notebook; online it downloads what it loads
# Parts 1, 8 and 9 run online in JupyterLab (tests/test_browser.py: the same emulator, an empty
# HF_HOME, no token, and check_went_online), so they run here only where the browser test cannot.
HEADLESS = [
    nb
    for nb in NOTEBOOKS
    if nb not in browser_lab.IN_THE_BROWSER.values() or browser_lab.missing() is not None
]


# One test per notebook, each in a fresh HF_HOME against its own emulator (a learner opens each
# part in a new Colab session), so that the workers of `make test` share the runs.
@pytest.mark.skipif(
    os.environ.get("COURSE_ONLINE_NOTEBOOKS") == "0", reason="COURSE_ONLINE_NOTEBOOKS=0"
)
@pytest.mark.skipif(
    os.environ.get("COURSE_REAL_HUB") == "1", reason="the real Hub run is online already"
)
@pytest.mark.parametrize("notebook", HEADLESS)
def test_notebook_runs_online_against_the_hub_emulator(tmp_path, notebook):
    home = tmp_path / "hf-home"
    report = tmp_path / "nbval.xml"
    with HubEmulator() as hub:
        env = online_env(hub.url, home)
        diffs = tmp_path / "checked-output-diffs.tsv"
        env["COURSE_ONLINE_DIFFS"] = str(diffs)
        env.pop("CI", None)  # as on Colab: nothing says "automated run" except nbval's own stdin
        start = time.perf_counter()
        proc = run_notebook(notebook, env, LIMIT_S, f"--junitxml={report}")
        seconds = time.perf_counter() - start
        requests, unhandled = list(hub.requests), list(hub.unhandled)
    failures = _failures(report) if report.exists() else [proc.stdout[-4000:] + proc.stderr[-4000:]]
    print(f"{notebook} online: {seconds:.0f} s, {len(requests)} Hub requests, rc {proc.returncode}")
    if diffs.exists():  # information, not failure: the stored outputs are the offline record
        print("checked cells whose online output differs from the stored (offline) one:")
        print(diffs.read_text())
    assert not failures, (
        f"{len(failures)} cell(s) of {notebook} fail online (run took {seconds:.0f} s):\n\n"
        + "\n\n".join(failures)
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    check_went_online(notebook, requests, unhandled, home)


def _failures(report: Path) -> list[str]:
    out = []
    for case in ET.parse(report).getroot().iter("testcase"):
        for bad in list(case.findall("failure")) + list(case.findall("error")):
            msg = (bad.get("message") or "") + "\n" + (bad.text or "")
            out.append(f"{case.get('classname')}::{case.get('name')}\n{_tail(msg)}")
    return out


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
