"""Execute notebooks with the stand-in Hub and store outputs only for `# NBVAL_CHECK_OUTPUT` cells.

Those stored outputs are what nbval compares a fresh run against; every other output, execution
count and widget state is stripped so notebooks stay clean.

    .venv/bin/python scripts/store_checked_outputs.py notebooks/02_tensors.ipynb [...]
    .venv/bin/python scripts/store_checked_outputs.py --strip-only notebooks/*.ipynb
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbval.plugin import coalesce_streams

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MARK = "# NBVAL_CHECK_OUTPUT"


def is_checked(cell) -> bool:
    return cell.cell_type == "code" and cell.source.lstrip().startswith(MARK)


def clean(nb, executed=None) -> None:
    """Keep outputs of checked cells (taken from ``executed`` when given), strip the rest."""
    count = 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)
        if not is_checked(cell):
            cell.execution_count = None
            cell.outputs = []
            continue
        # nbval treats a cell with outputs but no execution count as "unrun" and fails it,
        # so checked cells are numbered 1, 2, 3... in the order they appear.
        count += 1
        cell.execution_count = count
        if executed is not None:
            cell.outputs = executed.cells[i].outputs
        cell.outputs = coalesce_streams(
            cell.outputs
        )  # nbval's own merge: one print reads as one block
        for o in cell.outputs:
            if "execution_count" in o:
                o["execution_count"] = count
            for mime in ("image/png", "image/jpeg"):  # nbval never compares images
                o.get("data", {}).pop(mime, None)
    nb.metadata.pop("widgets", None)


def run(path: Path) -> None:
    from nbclient import NotebookClient

    from tests.standins import ensure_hub, hub_env

    os.environ.update(hub_env(ensure_hub()))
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        os.environ.pop(name, None)
    nb = nbformat.read(path, as_version=4)
    executed = nbformat.read(path, as_version=4)
    t = time.time()
    NotebookClient(
        executed,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    clean(nb, executed)
    nbformat.write(nb, path)
    n = sum(is_checked(c) for c in nb.cells)
    print(f"{path.name}: ran in {time.time() - t:.1f} s, stored outputs of {n} checked cells")


if __name__ == "__main__":
    args = sys.argv[1:]
    strip_only = "--strip-only" in args
    for p in [Path(a) for a in args if not a.startswith("--")]:
        if strip_only:
            nb = nbformat.read(p, as_version=4)
            clean(nb)
            nbformat.write(nb, p)
        else:
            run(p)
