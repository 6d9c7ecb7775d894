"""pytest plugin of the GPU check (scripts/gpu_check.sh): every notebook cell's outputs, recorded.

``pytest -p scripts.gpu_capture notebooks`` with ``GPU_CHECK_CAPTURE=FILE`` appends one JSON line
per executed notebook cell to FILE: the notebook, the cell, its first line, the outcome, what it
wrote to stdout and to stderr (warnings and library log lines land there), and its error. The GPU
check runs the suite once on CUDA and once with CUDA hidden, then ``gpu_check.py report`` lists
the stderr lines only the CUDA run printed. Without ``GPU_CHECK_CAPTURE`` it does nothing.
"""

from __future__ import annotations

import fcntl
import json
import os

import pytest


def cell_record(item, outcome: str) -> dict | None:
    """What one nbval cell item printed, as a plain dict (None for an item that is no cell)."""
    cell = getattr(item, "cell", None)
    if cell is None:
        return None
    streams: dict[str, str] = {"stdout": "", "stderr": ""}
    error = ""
    for out in getattr(item, "test_outputs", None) or []:
        kind = out.get("output_type")
        if kind == "stream":
            streams[out.get("name", "stdout")] = streams.get(out.get("name", "stdout"), "") + (
                out.get("text") or ""
            )
        elif kind == "error":
            error = f"{out.get('ename')}: {out.get('evalue')}"
        elif kind in ("execute_result", "display_data"):
            text = (out.get("data") or {}).get("text/plain")
            if text:
                streams["stdout"] += "".join(text) + "\n"
    source = cell.get("source") or ""
    return {
        "notebook": os.path.basename(str(item.fspath)),
        "cell": int(getattr(item, "cell_num", -1)),
        "first_line": source.splitlines()[0] if source else "",
        "source": source[:2000],
        "outcome": outcome,
        "stdout": streams["stdout"],
        "stderr": streams["stderr"],
        "error": error,
    }


def append(path: str, record: dict) -> None:
    """Append one JSON line under a lock (the xdist workers share the file)."""
    with open(path, "a", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write(json.dumps(record) + "\n")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    path = os.environ.get("GPU_CHECK_CAPTURE")
    if path and call.when == "call":
        record = cell_record(item, report.outcome)
        if record is not None:
            append(path, record)
    return report
