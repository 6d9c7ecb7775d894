"""A room of real learners on the classroom hub (make test-classroom; issue 30).

The hub of `make classroom` (scripts/hub_classroom.py, classroom/jupyterhub_config.py) on
127.0.0.1 with six learner accounts (clr-1 ... clr-6, removed at the end). Each learner logs in
through the hub (first login sets the password), gets an API token, starts a server, and
nbgitpuller clones this checkout's committed course into the learner's home. Then Part 1 runs in
every learner's kernel at once, and Part 4 in two of them, through the hub's proxy with the
learner's token. It checks: every run green (nbval-lax rules: errors fail, checked outputs match);
files in each home belong to that learner and are unreadable by the others; the shared cache is
byte-identical before and after; a model the cache lacks gives the course's OfflineError quickly;
an idle server is culled; the hub answers while the kernels work. It prints the wall time and the
peak memory of each learner and of the hub.

As root (accounts), with `make classroom-install` done; set COURSE_CLASSROOM=1 (make
test-classroom does). CLASSROOM_LEARNERS=2 runs a smaller room while developing.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".classroom"
HUB_PYTHON = STATE / "venv" / "bin" / "python"
LEARNERS = int(os.environ.get("CLASSROOM_LEARNERS", "6"))
PART4_LEARNERS = 2
PREFIX = "clr-"
CULL_AFTER_S = 60
PARTS = {1: "01_hello_gpu.ipynb", 4: "04_pipelines.ipynb"}
CELL_TIMEOUT_S = 300

pytestmark = pytest.mark.skipif(
    os.environ.get("COURSE_CLASSROOM") != "1" or os.geteuid() != 0,
    reason="the classroom room test: as root, with COURSE_CLASSROOM=1 (make test-classroom)",
)
requests = pytest.importorskip("requests")
websocket = pytest.importorskip("websocket")
psutil = pytest.importorskip("psutil")


# --- helpers -------------------------------------------------------------------------------------
def _free_ports() -> int:
    """A port P with P, P+1 and P+2 free on 127.0.0.1 (the room, the proxy's API, the hub)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port > 65000:
            continue
        try:
            for p in (port, port + 1, port + 2):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", p))
            return port
        except OSError:
            continue
    raise RuntimeError("no three free ports in a row")


def _tree_digest(folder: Path) -> dict[str, str]:
    """Every file, folder and link under ``folder``: its content hash, mode and owner."""
    out = {}
    for path in sorted(folder.rglob("*")):
        st = path.lstat()
        key = str(path.relative_to(folder))
        if path.is_symlink():
            out[key] = "link " + os.readlink(path)
        elif path.is_dir():
            out[key] = f"dir {st.st_mode:o} {st.st_uid}"
        else:
            out[key] = f"{hashlib.sha256(path.read_bytes()).hexdigest()} {st.st_mode:o} {st.st_uid}"
    return out


class Learner:
    """One learner talking to the hub as a browser would, then with their own API token."""

    def __init__(self, base: str, name: str):
        self.base, self.name = base, name
        self.password = "pw-" + uuid.uuid4().hex[:12]
        self.token = ""

    def login(self) -> tuple[requests.Response, requests.Session]:
        s = requests.Session()
        s.get(f"{self.base}/hub/login", timeout=30)
        return s.post(
            f"{self.base}/hub/login",
            data={
                "username": self.name,
                "password": self.password,
                "_xsrf": s.cookies.get("_xsrf", ""),
            },
            allow_redirects=False,
            timeout=30,
        ), s

    def get_token(self) -> None:
        r, s = self.login()
        assert r.status_code == 302, (self.name, r.status_code, r.text[:300])
        r = s.post(
            f"{self.base}/hub/api/users/{self.name}/tokens",
            json={"note": "classroom test", "expires_in": 3600},
            headers={"X-XSRFToken": s.cookies.get("_xsrf", "")},
            timeout=30,
        )
        assert r.status_code == 201, (r.status_code, r.text[:300])
        self.token = r.json()["token"]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def hub_api(self, method: str, path: str, **kw) -> requests.Response:
        return requests.request(
            method, f"{self.base}/hub/api{path}", headers=self.headers, timeout=30, **kw
        )

    def server_api(self, method: str, path: str, **kw) -> requests.Response:
        return requests.request(
            method,
            f"{self.base}/user/{self.name}/api{path}",
            headers=self.headers,
            timeout=60,
            **kw,
        )

    def server(self) -> dict | None:
        return self.hub_api("GET", f"/users/{self.name}").json()["servers"].get("")

    def start_server(self) -> None:
        r = self.hub_api("POST", f"/users/{self.name}/server")
        assert r.status_code in (201, 202), (r.status_code, r.text[:300])

    def wait_ready(self, limit_s: float = 180) -> None:
        end = time.monotonic() + limit_s
        while time.monotonic() < end:
            server = self.server()
            if server and server.get("ready"):
                return
            time.sleep(1)
        raise AssertionError(f"{self.name}'s server did not start within {limit_s} s")

    def git_pull(self, repo: str, branch: str) -> list[dict]:
        """nbgitpuller's API (what the link's page calls): its progress events until done."""
        r = requests.get(
            f"{self.base}/user/{self.name}/git-pull/api",
            params={"repo": repo, "branch": branch},
            headers=self.headers,
            stream=True,
            timeout=120,
        )
        events = []
        for line in r.iter_lines(decode_unicode=True):
            if line.startswith("data:"):
                events.append(json.loads(line[5:]))
                if events[-1].get("phase") in ("finished", "error"):
                    break
        return events


class Kernel:
    """A kernel of a learner's server, driven over its websocket through the proxy."""

    def __init__(self, learner: Learner, notebook_path: str):
        r = learner.server_api(
            "POST",
            "/sessions",
            json={
                "path": notebook_path,
                "type": "notebook",
                "name": "",
                "kernel": {"name": "python3"},
            },
        )
        assert r.status_code == 201, (r.status_code, r.text[:300])
        self.id = r.json()["kernel"]["id"]
        ws_base = learner.base.replace("http", "ws")
        url = f"{ws_base}/user/{learner.name}/api/kernels/{self.id}/channels"
        self.ws = websocket.create_connection(url, header=learner.headers, timeout=CELL_TIMEOUT_S)
        self.session = uuid.uuid4().hex

    def run(self, code: str) -> tuple[str, str, dict | None]:
        """(stdout + results, stderr, error content or None) of one cell."""
        msg_id = uuid.uuid4().hex
        self.ws.send(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "msg_type": "execute_request",
                        "session": self.session,
                        "username": "",
                        "date": "",
                        "version": "5.3",
                    },
                    "parent_header": {},
                    "metadata": {},
                    "channel": "shell",
                    "buffers": [],
                    "content": {
                        "code": code,
                        "silent": False,
                        "store_history": True,
                        "user_expressions": {},
                        "allow_stdin": False,
                        "stop_on_error": True,
                    },
                }
            )
        )
        out, err, error, replied, idle = [], [], None, False, False
        while not (replied and idle):
            msg = json.loads(self.ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                (out if content["name"] == "stdout" else err).append(content["text"])
            elif kind in ("execute_result", "display_data"):
                out.append(
                    content["data"].get("text/plain", "") + "\n" if kind == "execute_result" else ""
                )
            elif kind == "error":
                error = content
            elif kind == "execute_reply":
                replied = True
                if content["status"] == "error":
                    error = error or content
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
        return "".join(out), "".join(err), error

    def close(self) -> None:
        self.ws.close()


def _stored_text(cell: dict) -> str:
    parts = []
    for o in cell.get("outputs", []):
        if o["output_type"] == "stream" and o["name"] == "stdout":
            parts.append("".join(o["text"]))
        elif o["output_type"] == "execute_result":
            parts.append("".join(o["data"].get("text/plain", "")) + "\n")
    return "".join(parts)


def run_notebook(learner: Learner, folder: str, part: int) -> dict:
    """Every code cell of the learner's own copy of ``part``'s notebook, as nbval-lax judges it."""
    path = f"{folder}/notebooks/{PARTS[part]}"
    nb = learner.server_api("GET", f"/contents/{path}").json()["content"]
    kernel = Kernel(learner, path)
    failures, start = [], time.monotonic()
    try:
        for number, cell in enumerate(nb["cells"]):
            if cell["cell_type"] != "code":
                continue
            src = "".join(cell["source"])
            first = src.split("\n", 1)[0]
            tags = cell.get("metadata", {}).get("tags", [])
            if "NBVAL_SKIP" in first or "nbval-skip" in tags:
                continue
            out, _, error = kernel.run(src)
            may_raise = "NBVAL_RAISES_EXCEPTION" in first or "raises-exception" in tags
            if error and not may_raise:
                failures.append(f"cell {number}: {error.get('ename')}: {error.get('evalue')}")
                break
            if "NBVAL_CHECK_OUTPUT" in first and out != _stored_text(cell):
                failures.append(f"cell {number}: output {out!r} != stored {_stored_text(cell)!r}")
    finally:
        kernel.close()
        learner.server_api("DELETE", f"/kernels/{kernel.id}")
    return {
        "learner": learner.name,
        "part": part,
        "failures": failures,
        "wall_s": time.monotonic() - start,
    }


class Sampler(threading.Thread):
    """Peak resident memory of each learner (all their processes) and of the hub (with its proxy
    and culler), sampled every half second."""

    def __init__(self, hub_pid: int, uids: dict[int, str]):
        super().__init__(daemon=True)
        self.hub_pid, self.uids = hub_pid, uids
        self.learner_peak: dict[str, int] = {}
        self.server_peak: dict[str, int] = {}
        self.hub_peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            per_learner: dict[str, int] = {}
            per_server: dict[str, int] = {}
            for p in psutil.process_iter(["uids", "memory_info", "cmdline"]):
                try:
                    name = self.uids.get(p.info["uids"].real)
                    if name:
                        rss = p.info["memory_info"].rss
                        per_learner[name] = per_learner.get(name, 0) + rss
                        if any("jupyterhub-singleuser" in a for a in p.info["cmdline"] or []):
                            per_server[name] = rss
                except (psutil.Error, TypeError):
                    continue
            try:
                hub = psutil.Process(self.hub_pid)
                tree = [hub, *hub.children(recursive=True)]
                hub_rss = sum(p.memory_info().rss for p in tree if p.uids().real == 0)
            except psutil.Error:
                hub_rss = 0
            for name, rss in per_learner.items():
                self.learner_peak[name] = max(self.learner_peak.get(name, 0), rss)
            for name, rss in per_server.items():
                self.server_peak[name] = max(self.server_peak.get(name, 0), rss)
            self.hub_peak = max(self.hub_peak, hub_rss)
            self.stop.wait(0.5)


class Pinger(threading.Thread):
    """Asks the hub for its version every second; keeps the slowest answer and any failure."""

    def __init__(self, base: str):
        super().__init__(daemon=True)
        self.base, self.slowest, self.failures, self.count = base, 0.0, [], 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            t = time.monotonic()
            try:
                requests.get(f"{self.base}/hub/api/", timeout=10).raise_for_status()
                self.count += 1
            except Exception as exc:  # noqa: BLE001 (recorded, asserted on at the end)
                self.failures.append(repr(exc))
            self.slowest = max(self.slowest, time.monotonic() - t)
            self.stop.wait(1)


def _as(user: str, *cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", user, "--", *cmd], capture_output=True, text=True)


# --- the room ------------------------------------------------------------------------------------
def _hub_script(*args: str) -> list[str]:
    return [str(HUB_PYTHON), str(ROOT / "scripts" / "hub_classroom.py"), *args]


def _remove(names: list[str], listing: Path) -> None:
    listing.write_text("\n".join(names) + "\n")
    subprocess.run(_hub_script("remove-accounts", "--learners", str(listing)), check=False)


def test_a_room_of_learners(capsys):
    assert HUB_PYTHON.exists(), "run `make classroom-install` first"
    from tests.standins import ensure_hub

    names = [f"{PREFIX}{i}" for i in range(1, LEARNERS + 1)]
    work = Path(tempfile.mkdtemp(prefix="classroom-"))
    work.chmod(0o755)  # learners traverse it to their homes and read the course repository
    # The prefetched cache, as an instructor leaves it: the stand-in Hub's files, owned by root,
    # readable by all, writable by nobody else (a copy: the suite's own cache stays as it is).
    cache = work / "hf-home"
    shutil.copytree(Path(ensure_hub(log=lambda m: None)).resolve(), cache, symlinks=True)
    subprocess.run(["chmod", "-R", "a+rX,go-w", str(cache)], check=True)
    listing = work / "learners.txt"
    _remove(names, listing)  # accounts a crashed earlier run left behind
    listing.write_text("\n".join(names) + "\n")
    homes = work / "homes"
    homes.mkdir(mode=0o755)

    # The course as the instructor publishes it: this checkout's committed state, in a repository
    # every learner may read (nbgitpuller clones it into each home).
    repo = work / "practical-pytorch"
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True)
    subprocess.run(
        ["git", "-C", str(ROOT), "push", "-q", str(repo), "HEAD:refs/heads/course"], check=True
    )
    subprocess.run(["chmod", "-R", "a+rX", str(repo)], check=True)
    gitconfig = work / "gitconfig"
    gitconfig.write_text(f"[safe]\n\tdirectory = {repo}\n")
    gitconfig.chmod(0o644)

    before = _tree_digest(cache)
    port = _free_ports()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "PYTHONPATH"))}
    hub = subprocess.Popen(
        _hub_script(
            "start",
            "--learners",
            str(listing),
            "--cache",
            str(cache),
            "--parts",
            "1,4",
            "--ip",
            "127.0.0.1",
            "--port",
            str(port),
            "--repo",
            str(repo),
            "--branch",
            "course",
            "--homes",
            str(homes),
            "--state",
            str(work / "state"),  # a fresh room: no passwords from an earlier run
            "--cull-idle-after",
            str(CULL_AFTER_S),
            "--cull-every",
            "10",
            # a repository owned by root, cloned by a learner: git's safe.directory check reads
            # only the global (or system) configuration
            "--env",
            f"GIT_CONFIG_GLOBAL={gitconfig}",
        ),
        env=env,
        start_new_session=True,
        stdout=open(work / "hub.log", "w"),
        stderr=subprocess.STDOUT,
    )
    report: dict = {"learners": LEARNERS}
    sampler = pinger = None
    t0 = time.monotonic()
    try:
        for _ in range(120):
            try:
                if requests.get(f"{base}/hub/api/", timeout=5).ok:
                    break
            except requests.ConnectionError:
                pass
            assert hub.poll() is None, (work / "hub.log").read_text()[-3000:]
            time.sleep(1)
        report["hub_up_s"] = time.monotonic() - t0
        uids = {pwd.getpwnam(n).pw_uid: n for n in names}
        sampler, pinger = Sampler(hub.pid, uids), Pinger(base)
        sampler.start()
        pinger.start()

        learners = [Learner(base, n) for n in names]
        for learner in learners:  # the first login sets each learner's password
            learner.get_token()
        # the list is the door: a wrong password now, or a name not on the list, is refused
        wrong = Learner(base, names[0])
        assert wrong.login()[0].status_code != 302
        assert Learner(base, "clr-not-listed").login()[0].status_code != 302
        # a learner's token reaches only that learner's server
        other = requests.get(
            f"{base}/user/{names[1]}/api/status",
            headers=learners[0].headers,
            timeout=30,
            allow_redirects=False,
        )
        assert other.status_code in (302, 403, 404), other.status_code

        for learner in learners:
            learner.start_server()
        for learner in learners:
            learner.wait_ready()
        report["servers_ready_s"] = time.monotonic() - t0
        # a learner's first page: nbgitpuller places the course, then JupyterLab opens it
        first = requests.get(
            f"{base}/user/{names[0]}/",
            headers=learners[0].headers,
            allow_redirects=False,
            timeout=30,
        )
        assert first.status_code == 302, first.status_code
        assert "/git-pull?" in first.headers["Location"], first.headers["Location"]
        assert "urlpath=lab%2Ftree%2Fpractical-pytorch%2Fnotebooks" in first.headers["Location"]
        for learner in learners:
            events = learner.git_pull(str(repo), "course")
            assert events and events[-1]["phase"] == "finished", events[-3:]
        folder = repo.name

        # Part 1 in every kernel at once, Part 4 in two of them at the same time.
        results: list[dict] = []
        jobs = [(learner, 1) for learner in learners]
        jobs += [(learner, 4) for learner in learners[:PART4_LEARNERS]]

        def work_on(learner: Learner, part: int) -> None:
            try:
                results.append(run_notebook(learner, folder, part))
            except Exception as exc:  # noqa: BLE001 (a failed run is reported, not lost)
                results.append(
                    {"learner": learner.name, "part": part, "failures": [repr(exc)], "wall_s": 0}
                )

        t_run = time.monotonic()
        threads = [threading.Thread(target=work_on, args=job) for job in jobs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=900)
        report["runs_wall_s"] = time.monotonic() - t_run
        assert len(results) == len(jobs), "a notebook run did not finish"
        for r in sorted(results, key=lambda r: (r["part"], r["learner"])):
            assert not r["failures"], r
        report["runs"] = {
            f"{r['learner']} part {r['part']}": round(r["wall_s"], 1) for r in results
        }

        # A model the cache lacks: the course's offline message at once, not a hang.
        kernel = Kernel(learners[-1], f"{folder}/notebooks/{PARTS[1]}")
        t = time.monotonic()
        kernel.ws.settimeout(120)
        _, _, error = kernel.run(
            "import course_utils as cu\n"
            "cu.load_pipeline('text-classification', 'clr/not-prefetched')"
        )
        report["offline_error_s"] = time.monotonic() - t
        # a file the learner writes lands in their home, as theirs
        kernel.run("from pathlib import Path; Path.home().joinpath('mine.txt').write_text('x')")
        kernel.close()
        learners[-1].server_api("DELETE", f"/kernels/{kernel.id}")
        assert error and error["ename"] == "OfflineError", error
        assert "not in the local cache" in error["evalue"], error["evalue"]
        assert "(HF_HUB_OFFLINE is set)" in error["evalue"], error["evalue"]
        assert report["offline_error_s"] < 60

        # Each home: the learner's own files, private from the other learners.
        for i, name in enumerate(names):
            home = Path(pwd.getpwnam(name).pw_dir)
            assert home.parent == homes and (home.stat().st_mode & 0o777) == 0o700
            notebook = home / folder / "notebooks" / PARTS[1]
            assert notebook.is_file(), f"nbgitpuller placed no notebook in {home}"
            strangers = [p for p in home.rglob("*") if p.lstat().st_uid != uids_of(name)]
            assert not strangers, strangers[:5]
            neighbour = names[(i + 1) % len(names)]
            peek = _as(neighbour, "cat", str(notebook))
            assert peek.returncode != 0 and "Permission denied" in peek.stderr, peek
            assert _as(name, "cat", str(notebook)).returncode == 0
        mine = Path(pwd.getpwnam(names[-1]).pw_dir) / "mine.txt"
        assert mine.read_text() == "x" and mine.stat().st_uid == uids_of(names[-1])

        # An idle server is culled (every server is idle now).
        t_idle = time.monotonic()
        while learners[0].server() is not None and time.monotonic() - t_idle < CULL_AFTER_S + 90:
            time.sleep(5)
        report["culled_after_idle_s"] = time.monotonic() - t_idle
        assert learners[0].server() is None, "the idle culler left an idle server running"
    finally:
        if sampler:
            sampler.stop.set()
            pinger.stop.set()
        report["wall_s"] = time.monotonic() - t0
        if hub.poll() is None:
            os.killpg(hub.pid, signal.SIGTERM)
            try:
                hub.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(hub.pid, signal.SIGKILL)
        _remove(names, listing)
        leftovers = [
            p.pid
            for p in psutil.process_iter(["username"])
            if (p.info["username"] or "").startswith(PREFIX)
        ]
        if sys.exc_info()[0] is not None:
            with capsys.disabled():
                print("\nhub log (end):\n" + (work / "hub.log").read_text()[-4000:])
        after = _tree_digest(cache)
        shutil.rmtree(work, ignore_errors=True)

    assert after == before, "the shared cache changed: " + str(
        sorted(set(after.items()) ^ set(before.items()))[:5]
    )
    assert not leftovers, f"learner processes left running: {leftovers}"
    assert not pinger.failures, pinger.failures[:3]
    assert pinger.slowest < 5, f"the hub took {pinger.slowest:.1f} s to answer while kernels ran"

    mb = 2**20
    report["hub_peak_mb"] = round(sampler.hub_peak / mb)
    report["learner_peak_mb"] = {n: round(v / mb) for n, v in sorted(sampler.learner_peak.items())}
    report["server_peak_mb"] = {n: round(v / mb) for n, v in sorted(sampler.server_peak.items())}
    report["hub_slowest_answer_s"] = round(pinger.slowest, 2)
    with capsys.disabled():
        print("\nclassroom:", json.dumps(report, indent=1))
    if os.environ.get("CLASSROOM_REPORT"):
        Path(os.environ["CLASSROOM_REPORT"]).write_text(json.dumps(report, indent=1))

    # The sizing's numbers against what this room used.
    sys.path.insert(0, str(ROOT / "scripts"))
    import hub_classroom

    limit = hub_classroom.size(LEARNERS, "1,4").per_learner_mb
    for name, peak in report["learner_peak_mb"].items():
        assert peak <= limit, f"{name} peaked at {peak} MB, over the {limit} MB limit"
    assert max(report["server_peak_mb"].values()) <= hub_classroom.SERVER_MB
    assert report["hub_peak_mb"] <= hub_classroom.HUB_MB


def uids_of(name: str) -> int:
    return pwd.getpwnam(name).pw_uid
