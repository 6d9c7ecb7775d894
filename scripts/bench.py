"""Course timing benchmark: run every notebook, print wall time and peak memory per notebook.

    make bench                # all notebooks, with the stand-in Hub (or COURSE_REAL_HUB=1)
    python scripts/bench.py notebooks/06_generating_text.ipynb

Each notebook runs in its own process so the peak resident memory and the CPU time (user +
system) of its kernel can be read (getrusage of the finished child). CPU time is the figure to
quote from a shared machine: wall time grows with the other load, CPU time much less; the load
average before and after each notebook is printed beside it. On a GPU, the kernel also reports
torch's peak allocation. The goal: the whole course within 5 minutes on a 2-core CPU, no
notebook over 90 s. It is a benchmark, not a test: it reports and never fails on time.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GPU_PEAK = (
    "import sys\nif 'torch' in sys.modules and sys.modules['torch'].cuda.is_available():\n"
    "    print(sys.modules['torch'].cuda.max_memory_allocated())\nelse:\n    print(-1)"
)


def run_one(path: Path) -> dict:
    """Execute one notebook (in this process) and return its figures."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    t = time.perf_counter()
    error = None
    with client.setup_kernel():
        try:
            for i, cell in enumerate(nb.cells):
                client.execute_cell(cell, i)
        except Exception as exc:  # report it, keep benchmarking the others
            error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:120]
        wall = time.perf_counter() - t
        probe = nbformat.v4.new_code_cell(GPU_PEAK)
        nb.cells.append(probe)  # nbclient writes results back into nb.cells by index
        client.execute_cell(probe, len(nb.cells) - 1)
        gpu = int("".join(o.get("text", "") for o in probe.outputs).strip() or -1)
    kernel = resource.getrusage(resource.RUSAGE_CHILDREN)  # the kernel, now finished
    rss_kb = kernel.ru_maxrss
    return {
        "notebook": path.name,
        "wall_s": round(wall, 1),
        "cpu_s": round(kernel.ru_utime + kernel.ru_stime, 1),
        "peak_rss_mb": round(rss_kb / 1024),
        "gpu_peak_mb": round(gpu / 2**20) if gpu >= 0 else None,
        "error": error,
    }


def cpu_model() -> str:
    """The CPU's model name (Linux), or the platform's processor string."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def bench_one(path: Path) -> dict:
    """Run one notebook in a fresh process; its figures, with the load average around it."""
    before = os.getloadavg()[0]
    out = subprocess.run(
        [sys.executable, __file__, "--one", str(path)], capture_output=True, text=True
    )
    try:
        row = json.loads(out.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        row = {"notebook": path.name, "error": out.stderr.strip()[-120:]}
    row["load"] = f"{before:.1f}/{os.getloadavg()[0]:.1f}"
    return row


def device_name() -> str:
    try:
        import torch

        if torch.cuda.is_available():
            return torch.cuda.get_device_name(0)
    except ImportError:
        pass
    return f"CPU {cpu_model()}, {os.cpu_count()} threads"


def print_table(rows: list[dict]) -> None:
    print(f"\nCourse benchmark on {device_name()}, Python {platform.python_version()}\n")
    head = "CPU s | wall s | peak RSS MB | GPU peak MB | load before/after | error"
    print(f"| {'notebook':<34} | {head}")
    print(f"|{'-' * 36}|-------|--------|-------------|-------------|-------------------|------")
    for r in rows:
        cell = {
            k: ("" if r.get(k) is None else r[k])
            for k in ("cpu_s", "wall_s", "peak_rss_mb", "gpu_peak_mb")
        }.get
        print(
            f"| {r['notebook']:<34} | {cell('cpu_s'):>5} | {cell('wall_s'):>6} "
            f"| {cell('peak_rss_mb'):>11} | {cell('gpu_peak_mb'):>11} | {r['load']:>17} "
            f"| {r.get('error') or ''}"
        )
    total = sum(r.get("wall_s") or 0 for r in rows)
    cpu = sum(r.get("cpu_s") or 0 for r in rows)
    slow = [r["notebook"] for r in rows if (r.get("wall_s") or 0) > 90]
    print(
        f"\nTotal: {cpu:.0f} CPU s, {total:.0f} s wall ({total / 60:.1f} min; goal: under 5 min, "
        "no notebook over 90 s)" + (f"; over 90 s: {', '.join(slow)}" if slow else "")
    )


def main(paths: list[Path]) -> int:
    if os.environ.get("COURSE_REAL_HUB") != "1":
        from tests.standins import ensure_hub, hub_env

        os.environ.update(hub_env(ensure_hub(log=lambda m: print(m, file=sys.stderr))))
    rows = []
    for p in paths:
        rows.append(bench_one(p))
        print(f"  {p.name}: {rows[-1].get('wall_s')} s", file=sys.stderr)
    print_table(rows)
    return 1 if any(r.get("error") for r in rows) else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(run_one(Path(sys.argv[2]))))
    else:
        args = [Path(a) for a in sys.argv[1:]] or sorted(
            (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")
        )
        raise SystemExit(main(args))
