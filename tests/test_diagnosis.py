"""course_utils.diagnosis (cu.doctor): the report to paste into a forum question. Offline (the test
session runs against the stand-in Hub with HF_HUB_OFFLINE=1), and against local sockets for the Hub
check: a closed port, a socket that accepts and never answers, and a tiny server that answers."""

from __future__ import annotations

import http.server
import json
import socket
import subprocess
import sys
import threading
import time

import pytest

from course_utils import diagnosis as d
from course_utils import version

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
    assert d._tree_bytes(tmp_path) == 2**20  # the symlink is not counted twice
    line = d.disk_lines()[0]
    assert line.value == f"{tmp_path} (0.00 GiB)"


def test_low_disk_says_what_to_delete(monkeypatch):
    monkeypatch.setattr(d.shutil, "disk_usage", lambda p: type("U", (), {"free": 2**30})())
    line = d.disk_lines()[1]
    assert not line.ok and "hf cache rm" in line.fix


@pytest.mark.parametrize(
    "have, spec, ok",
    [
        ("2.13.0+cpu", ">=2.6,<2.14", True),
        ("2.14.0", ">=2.6,<2.14", False),
        ("2.5.1", ">=2.6,<2.14", False),
        ("0.23.3", ">=0.23.3,<0.24", True),
        ("10", ">=10,<14", True),
        ("3.12.1", ">=3.10", True),
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


# --- the Hub check ------------------------------------------------------------------------


@pytest.fixture
def online(monkeypatch):
    """Let huggingface_hub make requests in this offline test session (to local sockets only)."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    return constants


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_closed_port_is_a_problem_within_the_limit(online):
    t = time.perf_counter()
    line = d.hub_line(f"http://127.0.0.1:{free_port()}", offline=False)
    assert time.perf_counter() - t < 6
    assert not line.ok and "does not answer" in line.value and "HF_HUB_OFFLINE=1" in line.fix


def test_a_socket_that_never_answers_returns_in_about_5_s(online):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)  # accepts connections (the kernel does) and never sends a byte
    try:
        t = time.perf_counter()
        line = d.hub_line(f"http://127.0.0.1:{server.getsockname()[1]}", offline=False)
        took = time.perf_counter() - t
    finally:
        server.close()
    assert 4.5 < took < 7, took
    assert not line.ok and "does not answer" in line.value


class FakeHub(http.server.BaseHTTPRequestHandler):
    """Answers like the Hub: public model 200; whoami 200 for the good token, 401 otherwise."""

    def do_GET(self):  # noqa: N802
        if self.path.startswith("/api/whoami-v2"):
            ok = self.headers.get("authorization") == "Bearer hf_good"
            self.send_response(200 if ok else 401)
            body = (
                {"name": "someone"}
                if ok
                else {"error": "Invalid credentials in Authorization header"}
            )
        else:
            self.send_response(200)
            body = {"id": d.PROBE_MODEL}
        data = json.dumps(body).encode()
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_hub(online, monkeypatch):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setattr(online, "ENDPOINT", endpoint)  # what HF_ENDPOINT sets
    yield endpoint
    server.shutdown()


def test_hub_answers_and_a_good_token_is_accepted(fake_hub, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_good")
    hub, token = d.hub_lines()
    assert hub.ok and hub.value == f"{fake_hub} answers"
    assert token.ok and "accepted" in token.value and "hf_good" not in str(token)


def test_a_rejected_token_says_make_a_new_one_and_never_shows(fake_hub, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", SECRET)
    report = d.DoctorReport(d.hub_lines())
    token = report["hf token"]
    assert not token.ok and "REJECTED" in token.value and "settings/tokens" in token.fix
    for out in (str(report), report._repr_html_(), repr(report)):
        assert SECRET not in out and SECRET[:8] not in out and SECRET[-6:] not in out


def test_offline_token_is_present_but_not_checked(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", SECRET)
    report = d.doctor()
    assert "present (environment variable HF_TOKEN); not checked" in report["hf token"].value
    assert SECRET not in str(report) and SECRET[:8] not in report._repr_html_()


def test_command_line_prints_the_report():
    code = "from course_utils.diagnosis import main; raise SystemExit(main(['--no-hub']))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("course_utils doctor (") and "transformers" in out.stdout
    assert not any(line.split()[:1] in (["hub"], ["!", "hub"]) for line in out.stdout.splitlines())
