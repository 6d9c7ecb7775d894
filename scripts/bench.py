"""Course timing benchmark: run every notebook, print wall time and peak memory per notebook.

    make bench                # all notebooks, with the stand-in Hub (or COURSE_REAL_HUB=1)
    python scripts/bench.py notebooks/06_generating_text.ipynb

Each notebook runs in its own process so the peak resident memory of its kernel can be read
(getrusage of the finished child). On a GPU, the kernel also reports torch's peak allocation.
The goal: the whole course within 5 minutes on a 2-core CPU, no notebook over 90 s.
It is a benchmark, not a test: it reports and never fails on time.
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
    rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the kernel, now finished
    return {
        "notebook": path.name,
        "wall_s": round(wall, 1),
        "peak_rss_mb": round(rss_kb / 1024),
        "gpu_peak_mb": round(gpu / 2**20) if gpu >= 0 else None,
        "error": error,
    }


def main(paths: list[Path]) -> int:
    if os.environ.get("COURSE_REAL_HUB") != "1":
        from tests.standins import ensure_hub, hub_env

        os.environ.update(hub_env(ensure_hub(log=lambda m: print(m, file=sys.stderr))))
    rows = []
    for p in paths:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(p)], capture_output=True, text=True
        )
        try:
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        except (IndexError, json.JSONDecodeError):
            rows.append(
                {
                    "notebook": p.name,
                    "wall_s": None,
                    "peak_rss_mb": None,
                    "gpu_peak_mb": None,
                    "error": out.stderr.strip()[-120:],
                }
            )
        r = rows[-1]
        print(f"  {r['notebook']}: {r['wall_s']} s", file=sys.stderr)
    device = "CPU"
    try:
        import torch

        if torch.cuda.is_available():
            device = torch.cuda.get_device_name(0)
    except ImportError:
        pass
    print(f"\nCourse benchmark on {device}, {os.cpu_count()} cores, {platform.python_version()}\n")
    print(f"| {'notebook':<34} | wall s | peak RSS MB | GPU peak MB | error")
    print(f"|{'-' * 36}|--------|-------------|-------------|------")
    for r in rows:
        gpu = "" if r["gpu_peak_mb"] is None else r["gpu_peak_mb"]
        print(
            f"| {r['notebook']:<34} | {r['wall_s'] or '':>6} | {r['peak_rss_mb'] or '':>11} "
            f"| {gpu:>11} | {r['error'] or ''}"
        )
    total = sum(r["wall_s"] or 0 for r in rows)
    slow = [r["notebook"] for r in rows if (r["wall_s"] or 0) > 90]
    print(
        f"\nTotal: {total:.0f} s ({total / 60:.1f} min; goal: under 5 min, no notebook over 90 s)"
        + (f"; over 90 s: {', '.join(slow)}" if slow else "")
    )
    return 1 if any(r["error"] for r in rows) else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(run_one(Path(sys.argv[2]))))
    else:
        args = [Path(a) for a in sys.argv[1:]] or sorted(
            (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")
        )
        raise SystemExit(main(args))
