"""Rewrite the setup cell (the first code cell) of every notebook to the pinned form.

The cell installs the course at the release tag that matches the notebook, says in one line what
pip's resolver warnings about Colab's own packages mean, and checks that the imported
course_utils is that release. The version comes from course_utils/version.py; running this
twice changes nothing the second time (cell ids and everything else stay as they are).

    python scripts/setup_cell.py [--check] [--version X.Y.Z] [NOTEBOOK ...]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from course_utils.version import __version__, install_line  # noqa: E402

# pip's resolver lists every installed package whose requirements the install broke; on Colab
# those are preinstalled packages the course never imports. Printed only on Colab, under them.
RESOLVER_NOTE = (
    "print(\"pip's 'dependency conflicts' lines above, if any, are about Colab's preinstalled \"\n"
    '          "packages. If one names torch, transformers, huggingface_hub, accelerate or "\n'
    '          "bitsandbytes anywhere in the line, run cu.doctor(): it checks each library\'s "\n'
    '          "version against the range the course was tested with.")'
)


def setup_source(version: str = __version__) -> str:
    """The setup cell every notebook starts with, pinned to ``version``."""
    return "\n".join(
        [
            "# Setup: on Colab this installs the course helpers at this notebook's release, "
            "with the",
            "# library versions the course was tested on (they replace some of Colab's own);",
            "# elsewhere `make lab` did it.",
            "import sys",
            'if "google.colab" in sys.modules:',
            f"    {install_line(version)}",
            f"    {RESOLVER_NOTE}",
            "import course_utils as cu",
            f'cu.check_version("{version}")  '
            "# stops with the restart command if an older release is loaded",
            "cu.gpu_report()",
        ]
    )


def first_code_cell(nb: dict) -> dict:
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            return cell
    raise SystemExit("notebook has no code cell")


def rewrite(path: Path, version: str = __version__, check: bool = False) -> bool:
    """Make the notebook's setup cell the pinned form;
    True if it was (or, with check, would be) changed."""
    nb = json.loads(path.read_text())
    cell = first_code_cell(nb)
    old = "".join(cell["source"])
    if 'if "google.colab" in sys.modules:' not in old or "import course_utils as cu" not in old:
        raise SystemExit(
            f"{path.name}: the first code cell is not a setup cell; fix it by hand:\n{old}"
        )
    new = setup_source(version)
    if old == new:
        return False
    if not check:
        lines = new.splitlines(keepends=True)
        cell["source"] = lines  # the list-of-lines form nbformat writes
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", type=Path)
    ap.add_argument("--version", default=__version__)
    ap.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if a cell is stale"
    )
    args = ap.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    changed = [p.name for p in paths if rewrite(p, args.version, args.check)]
    if args.check and changed:
        print("setup cell out of date (run scripts/setup_cell.py):", ", ".join(changed))
        return 1
    for name in changed:
        print(f"setup cell updated: {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
