"""Run course_utils online, against tests/hub_emulator.py, in a child process.

huggingface_hub reads HF_HUB_OFFLINE, HF_ENDPOINT and HF_HOME when it is imported, and the test
process has already imported it offline (conftest.py). So each online check runs in a child
process (forked from a server that holds torch but no Hugging Face library: see
``_forked_child``) with HF_HUB_OFFLINE unset, HF_ENDPOINT at the emulator (or at its stalled
socket / closed port), a fresh empty HF_HOME, huggingface_hub's debug logging on (HF_DEBUG=1)
and, when a scenario has one, HF_TOKEN. The child runs a list of calls, each with a deadline,
and writes what the learner would see: the value, the exception (class, message, the whole
__cause__/__context__ chain), stdout, stderr, warnings, log records, seconds.

``online_env`` gives the same environment to anything else (the online notebook run).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9]*.ipynb"))


def online_env(endpoint: str, home: str | os.PathLike, token: str | None = None) -> dict[str, str]:
    """The environment of a learner online: no offline switch, the given Hub, an empty cache."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HF_", "HUGGING_FACE_")) and k != "TRANSFORMERS_OFFLINE"
    }
    env.update(
        HF_ENDPOINT=endpoint,
        HF_HOME=str(home),
        HF_HUB_DISABLE_TELEMETRY="1",
        TOKENIZERS_PARALLELISM="false",
        PYTHONPATH=str(ROOT),
        CI="1",
    )
    if token is not None:
        env["HF_TOKEN"] = token
    return env


def run_notebook(
    notebook: str, env: dict[str, str], timeout: float, *options: str
) -> subprocess.CompletedProcess:
    """Run one notebook with nbval in a child pytest (no xdist) in ``env``; COURSE_ONLINE_HUB=1
    there tells conftest.py to keep that environment's Hub settings."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", f"notebooks/{notebook}", "-q", "-p", "no:cacheprovider",
         "-p", "no:xdist", *options],
        cwd=ROOT,
        env={**env, "COURSE_ONLINE_HUB": "1"},
        capture_output=True,
        text=True,
        timeout=timeout,
    )  # fmt: skip


def cell_sources(notebook: str) -> list[str]:
    """Each cell's code in ``notebook``, "" for a markdown cell (indexes match the cells)."""
    cells = json.loads((ROOT / "notebooks" / notebook).read_text())["cells"]
    return ["".join(c["source"]) if c["cell_type"] == "code" else "" for c in cells]


def check_went_online(notebook: str, requests: list, unhandled: list, home: Path) -> None:
    """What a notebook's online run must show in the emulator's log (tests/test_online_notebooks.py
    and, for the parts it runs, tests/test_browser.py): every endpoint it called is one the
    emulator serves, and it really went online: the listing, the downloads (LFS weights through
    the "CDN") and what landed in the empty HF_HOME."""
    assert unhandled == [], f"endpoints the emulator does not serve: {unhandled}"
    code = "\n".join(cell_sources(notebook))
    if "top_models(" in code:
        assert any(p.startswith("/api/models?") for _, p, _, _ in requests), "no listing"
    if "from_pretrained(" in code or "pipeline(" in code:
        assert any("/resolve/" in p and m == "GET" for m, p, _, _ in requests), "no downloads"
        assert any(who == "cdn" for *_, who in requests), "no LFS weights downloaded"
        assert list(Path(home).glob("hub/models--*")), "nothing was cached in the empty HF_HOME"


@dataclass
class Outcome:
    """What one call did, as the child recorded it."""

    label: str
    ok: bool
    seconds: float
    timed_out: bool = False
    value: object = None  # a JSON form of the return value
    text: str = ""  # str() of the value, or of the exception
    exc_class: str | None = None
    exc_mro: list[str] = field(default_factory=list)
    traceback: str = ""  # the whole chain, as Python prints it
    stdout: str = ""
    stderr: str = ""
    warnings: list[str] = field(default_factory=list)

    def says(self) -> str:
        """One line for an assertion message: what the learner saw, and how long it took."""
        what = (
            "still running (timed out)"
            if self.timed_out
            else f"returned {self.text[:300]!r}"
            if self.ok
            else f"{self.exc_class}: {self.text[:400]}"
        )
        out = f" stdout={self.stdout[-300:]!r}" if self.stdout.strip() else ""
        return f"{self.label}: {what} after {self.seconds:.1f} s.{out}"


@dataclass
class Run:
    outcomes: dict[str, Outcome]
    logs: list[str]
    raw: str  # everything the child wrote, for the token check

    def __getitem__(self, label: str) -> Outcome:
        return self.outcomes[label]


def run_online(
    calls: dict[str, str],
    endpoint: str,
    *,
    token: str | None = None,
    home: str | os.PathLike | None = None,
    parallel: bool = False,
    deadline: float = 60.0,
    name: str = "",
) -> Run:
    """Run ``calls`` (label -> Python expression; ``cu`` is course_utils, ``cli(...)`` runs
    ``python -m course_utils``) in one online child process and return their outcomes."""
    home = Path(home or tempfile.mkdtemp(prefix="online-hf-home-"))
    with tempfile.TemporaryDirectory(prefix="online-run-") as tmp:
        spec, result = Path(tmp) / "spec.json", Path(tmp) / "result.json"
        spec.write_text(json.dumps({"calls": calls, "parallel": parallel, "deadline": deadline}))
        env = online_env(endpoint, home, token)
        env["HF_DEBUG"] = "1"
        budget = deadline + 60 if parallel else deadline * len(calls) + 60
        out, err = Path(tmp) / "stdout.txt", Path(tmp) / "stderr.txt"
        child = _forkserver().Process(
            target=_forked_child, args=(env, str(spec), str(result), str(out), str(err))
        )
        child.start()
        child.join(budget)
        if child.is_alive():  # past its budget: the result file is missing, and says so below
            child.kill()
            child.join()
        stdout, stderr = (p.read_text() if p.exists() else "" for p in (out, err))
        if not result.exists():
            raise RuntimeError(
                f"the online child wrote no result (exit code {child.exitcode}):\n"
                f"{stdout[-3000:]}\n{stderr[-3000:]}"
            )
        raw = result.read_text()
    data = json.loads(raw)
    outcomes = {o["label"]: Outcome(**o) for o in data["outcomes"]}
    dump = os.environ.get("COURSE_ONLINE_DUMP")
    if dump:  # the outcome table in the report is made from these
        Path(dump).mkdir(parents=True, exist_ok=True)
        stem = re.sub(r"[^\w+-]+", "_", name or "-".join(sorted(calls))[:60])
        (Path(dump) / f"{stem}-{abs(hash(raw)) % 10**8}.json").write_text(raw)
    return Run(outcomes, data["logs"], raw + stdout + stderr)


try:
    import pytest
except ImportError:  # the child does not need it
    pytest = None

if pytest is not None:

    @pytest.fixture(scope="module")
    def emulator():
        """A Hub emulator for one test module (its scenario controls start clean)."""
        from tests.hub_emulator import HubEmulator

        with HubEmulator() as hub:
            yield hub


# --- starting the child ----------------------------------------------------------------------
# Each child is forked from a fork server that has already imported torch and the scientific
# libraries transformers pulls in (about 3 s of CPU a child on a 2-core machine, some 30 children
# a run), but nothing of Hugging Face's: huggingface_hub reads HF_ENDPOINT, HF_HOME,
# HF_HUB_OFFLINE and HF_TOKEN when it is imported, so the child sets the scenario's environment
# first and then imports huggingface_hub, transformers and course_utils, as a new process does
# (on Colab torch is imported by the time a learner calls a helper). `cli(...)` calls still start
# a new process: `python -m course_utils`.
PRELOAD = [
    "torch",
    "torch._dynamo",
    "torch.distributed.tensor",
    "torch.export",
    "numpy",
    "scipy.optimize",
    "sympy",
    "networkx",
    "jinja2",
    "yaml",
    "PIL.Image",
]
HF_PACKAGES = {
    "huggingface_hub",
    "transformers",
    "tokenizers",
    "safetensors",
    "accelerate",
    "bitsandbytes",
    "hf_xet",
    "course_utils",
}


def _forkserver():
    import multiprocessing

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def _forked_child(env: dict[str, str], spec: str, result: str, out: str, err: str) -> None:
    """In the forked child: the scenario's environment, stdout and stderr to files, then _child."""
    early = sorted(m for m in sys.modules if m.split(".")[0] in HF_PACKAGES)
    for fd, path in ((1, out), (2, err)):
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(handle, fd)
        os.close(handle)
    if early:  # it would read the fork server's offline settings: the run would prove nothing
        print(f"imported before the scenario's environment was set: {early}", file=sys.stderr)
        sys.stderr.flush()
        os._exit(3)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(ROOT)
    _child(spec, result)


# --- the child -------------------------------------------------------------------------------


def _jsonable(value, depth: int = 0):
    import dataclasses

    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if depth > 2:
        return repr(value)[:200]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _jsonable(getattr(value, f.name), depth + 1) for f in dataclasses.fields(value)
        }
    if isinstance(value, dict):
        return {str(k): _jsonable(v, depth + 1) for k, v in list(value.items())[:500]}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, depth + 1) for v in list(value)[:500]]
    return repr(value)[:500]


class _PerThread:
    """A sys.stdout/sys.stderr that keeps what each thread writes apart."""

    def __init__(self, fallback):
        import threading

        self.fallback, self.buffers, self._local = fallback, {}, threading.local()

    def start(self, key: str) -> None:
        self._local.key = key
        self.buffers[key] = []

    def write(self, text: str) -> int:
        key = getattr(self._local, "key", None)
        (self.buffers[key].append(text) if key in self.buffers else self.fallback.write(text))
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def text(self, key: str) -> str:
        return "".join(self.buffers.get(key, []))


def _child(spec_path: str, result_path: str) -> None:
    import logging
    import threading
    import time
    import traceback
    import warnings

    spec = json.loads(Path(spec_path).read_text())
    logs: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            try:
                logs.append(f"{record.name}: {record.getMessage()}")
            except Exception as exc:  # a record that cannot format is still evidence
                logs.append(f"{record.name}: unformattable {exc!r}")

    root = logging.getLogger()
    root.addHandler(Keep())
    root.setLevel(logging.DEBUG)
    import huggingface_hub.utils.logging as hf_logging

    hf_logging.set_verbosity_debug()
    hf_logging.get_logger().addHandler(Keep())

    import huggingface_hub

    import course_utils as cu

    def cli(*args: str) -> dict:
        proc = subprocess.run(
            [sys.executable, "-m", "course_utils", *args],
            capture_output=True,
            text=True,
            timeout=spec["deadline"],
        )
        return {"rc": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}

    out, err = _PerThread(sys.stdout), _PerThread(sys.stderr)
    sys.stdout, sys.stderr = out, err
    results: dict[str, dict] = {}
    caught: list[str] = []
    if not spec["parallel"]:
        warnings.simplefilter("always")
        warnings.showwarning = lambda m, c, *a, **k: caught.append(f"{c.__name__}: {m}")

    def one(label: str, code: str) -> None:
        out.start(label)
        err.start(label)
        caught.clear() if not spec["parallel"] else None
        start = time.perf_counter()
        rec = {"label": label, "ok": True, "timed_out": False}
        try:
            value = eval(code, {"cu": cu, "cli": cli, "os": os, "hf": huggingface_hub})
            rec.update(value=_jsonable(value), text=str(value))
        except BaseException as exc:  # noqa: BLE001 - everything the learner could see
            rec.update(
                ok=False,
                exc_class=type(exc).__name__,
                exc_mro=[c.__name__ for c in type(exc).__mro__],
                text=str(exc),
                traceback="".join(traceback.format_exception(exc)),
            )
        rec["seconds"] = time.perf_counter() - start
        rec["warnings"] = list(caught)
        results[label] = rec

    started = {}
    for label, code in spec["calls"].items():
        t = threading.Thread(target=one, args=(label, code), daemon=True)
        started[label] = (t, time.perf_counter())
        t.start()
        if not spec["parallel"]:
            t.join(spec["deadline"])
    for _label, (t, t0) in started.items():
        t.join(max(0.0, spec["deadline"] - (time.perf_counter() - t0)))
    outcomes = []
    for label, (_t, t0) in started.items():
        rec = dict(
            results.get(label)
            or {
                "label": label,
                "ok": False,
                "timed_out": True,
                "seconds": time.perf_counter() - t0,
                "text": "",
            }
        )
        rec["stdout"], rec["stderr"] = out.text(label), err.text(label)
        outcomes.append(rec)
    Path(result_path).write_text(json.dumps({"outcomes": outcomes, "logs": logs}, default=repr))
    sys.__stdout__.flush()
    os._exit(0)  # calls stuck on a stalled socket must not keep the process alive
