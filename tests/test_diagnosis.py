"""course_utils.diagnosis (cu.doctor): the report to paste into a forum question, offline (the test
session runs against the stand-in Hub with HF_HUB_OFFLINE=1). The Hub and token rows against a
Hub that answers, stalls or is not there are in tests/test_online_doctor.py (the Hub emulator)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from course_utils import checks, version
from course_utils import diagnosis as d

SECRET = "hf_" + "x" * 34  # looks like a token; must never appear in any output


def test_offline_report_has_every_topic_and_no_network():
    t = time.perf_counter()
    report = d.doctor()
    assert time.perf_counter() - t < 30
    topics = [line.topic for line in report.lines]
    for topic in (
        "course_utils",
        "python",
        *version.TESTED_RANGES,
        "gpu",
        "recommended dtype",
        "hf cache",
        "free disk",
        "hub",
        "hf token",
        "platform",
    ):
        assert topic in topics, topic
    assert "offline mode (HF_HUB_OFFLINE=1)" in report["hub"].value
    assert report["hub"].ok  # offline on purpose is not a problem
    assert report["transformers"].ok and "(tested >=" in report["transformers"].value


def test_cache_is_where_the_hub_libraries_look_and_sized(monkeypatch, tmp_path):
    from huggingface_hub import constants

    (tmp_path / "models--a--b" / "blobs").mkdir(parents=True)
    (tmp_path / "models--a--b" / "blobs" / "x").write_bytes(b"0" * 2**20)
    (tmp_path / "models--a--b" / "link").symlink_to(tmp_path / "models--a--b" / "blobs" / "x")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    assert checks.tree_bytes(tmp_path) == 2**20  # the symlink is not counted twice
    line = checks.disk_lines()[0]
    assert line.value == f"{tmp_path} (0.00 GiB)"


def test_low_disk_says_what_to_delete(monkeypatch):
    monkeypatch.setattr(checks.shutil, "disk_usage", lambda p: type("U", (), {"free": 2**30})())
    line = checks.disk_lines()[1]
    assert not line.ok and "hf cache rm" in line.fix


@pytest.mark.parametrize(
    "have, spec, ok",
    [
        ("2.13.0+cpu", ">=2.6,<2.14", True),
        ("2.14.0", ">=2.6,<2.14", False),
        ("2.5.1", ">=2.6,<2.14", False),
        ("0.23.3", ">=0.23.3,<0.24", True),
        ("10", ">=10,<14", True),
        ("3.12.1", ">=3.11", True),
        ("3.10.14", ">=3.11", False),
        ("5.0.0rc1", ">=5.23,<6", False),
    ],
)
def test_in_range(have, spec, ok):
    assert d.in_range(have, spec) is ok


def test_a_version_outside_the_tested_range_is_a_problem_with_the_fix(monkeypatch):
    monkeypatch.setitem(version.TESTED_RANGES, "numpy", ">=99,<100")
    line = next(x for x in d.version_lines() if x.topic == "numpy")
    assert not line.ok and "outside the tested range >=99,<100" in line.value
    assert 'pip install "numpy>=99,<100"' in line.fix and "restart" in line.fix


def test_a_missing_package_says_how_to_install(monkeypatch):
    monkeypatch.setitem(version.TESTED_RANGES, "no-such-package-xyz", ">=1,<2")
    line = next(x for x in d.version_lines() if x.topic == "no-such-package-xyz")
    assert not line.ok and "practical-pytorch[course]" in line.fix


def test_course_line_against_the_notebook(monkeypatch):
    monkeypatch.setattr(version, "_last_expected", [])
    assert "release is unknown" in d.course_line().value
    version.check_version(version.__version__)
    assert d.course_line().ok and "the release this notebook expects" in d.course_line().value
    bad = d.course_line("9.9.9")
    assert not bad.ok and version.install_line("9.9.9") in bad.fix


def test_text_and_html_mark_problems_with_next_steps():
    report = d.DoctorReport([d.Line("hub", "down <b>", "do <this>"), d.Line("python", "3.11")])
    text = str(report)
    assert text.splitlines()[0] == "course_utils doctor (1 problem(s))"
    assert "! hub" in text and "-> do <this>" in text
    page = report._repr_html_()
    assert "&lt;b&gt;" in page and "Next step:</b> do &lt;this&gt;" in page and "<pre>" in page


def test_gpu_lines_on_this_cpu_machine():
    lines = {x.topic: x for x in d.gpu_lines()}
    assert lines["recommended dtype"].value in ("float32", "bfloat16", "float16")
    assert all(x.ok for x in lines.values())


def test_offline_token_is_present_but_not_checked(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", SECRET)
    report = d.doctor()
    token = report["hf token"].value
    assert "present (from the environment variable HF_TOKEN); not checked" in token
    assert SECRET not in str(report) and SECRET[:8] not in report._repr_html_()


def test_command_line_prints_the_report():
    code = "from course_utils.diagnosis import main; raise SystemExit(main(['--no-hub']))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("course_utils doctor (") and "transformers" in out.stdout
    assert not any(line.split()[:1] in (["hub"], ["!", "hub"]) for line in out.stdout.splitlines())
