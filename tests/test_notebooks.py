"""Static checks on the nine notebooks: clean storage, conventions, and stand-ins for every model.

These run in a second; the notebooks themselves are executed by nbval (`pytest notebooks/`).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from standins import KNOWN_IDS

from course_utils.course import INSTALL_LINE, badge

ROOT = Path(__file__).resolve().parent.parent
PARTS = [
    "01_hello_gpu",
    "02_tensors",
    "03_models_are_modules",
    "04_pipelines",
    "05_under_the_hood",
    "06_generating_text",
    "07_images_and_audio",
    "08_hub_and_heavyweights",
    "09_capstone_app",
]
MARK = "# NBVAL_CHECK_OUTPUT"
# Only these pipeline tasks may be called without a model: their default model has a stand-in.
DEFAULTS_WITH_STANDIN = {"sentiment-analysis", "text-classification", "image-classification"}
REPO_ID = re.compile(r"""["']([A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*)["']""")
LOCAL_PREFIXES = ("notebooks", "assets", "_work", "tmp", "offload", "sys", "usr", "content")


def load(name: str) -> dict:
    return json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())


def text(cell: dict) -> str:
    return "".join(cell["source"])


def code(nb: dict) -> list[str]:
    return [text(c) for c in nb["cells"] if c["cell_type"] == "code"]


def repo_ids(source: str) -> set[str]:
    """Quoted strings that look like Hub repo ids (org/name), not paths or URLs."""
    found = set()
    for m in REPO_ID.finditer(source):
        rid = m.group(1)
        head, tail = rid.split("/", 1)
        if head in LOCAL_PREFIXES or re.search(
            r"\.(png|jpe?g|wav|ipynb|py|json|txt|md|safetensors|bin)$", tail
        ):
            continue
        found.add(rid)
    return found


def test_all_nine_parts_exist():
    have = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert have == PARTS


@pytest.mark.parametrize("name", PARTS)
def test_opens_with_badge_title_and_setup(name):
    nb = load(name)
    first, second = nb["cells"][0], nb["cells"][1]
    assert first["cell_type"] == "markdown"
    assert text(first).startswith(badge(f"notebooks/{name}.ipynb")), "run `make badges`"
    part = int(name[:2])
    assert re.search(rf"^# Part {part} — ", text(first), re.M), "title line '# Part N — Title'"
    assert second["cell_type"] == "code"
    setup = text(second)
    assert 'if "google.colab" in sys.modules:' in setup and INSTALL_LINE in setup
    assert "cu.gpu_report()" in setup


@pytest.mark.parametrize("name", PARTS)
def test_colab_metadata(name):
    meta = load(name)["metadata"]
    assert meta.get("accelerator") == "GPU"
    assert meta.get("colab", {}).get("gpuType") == "T4"
    assert meta.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("name", PARTS)
def test_stored_clean(name):
    nb = load(name)
    assert "widgets" not in nb["metadata"], "widget state is stored in the notebook"
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        checked = text(cell).lstrip().startswith(MARK)
        if checked:
            assert cell["outputs"], f"cell {i} is marked {MARK} but has no stored output to compare"
            assert cell["execution_count"], f"cell {i}: nbval fails a checked cell stored as unrun"
            for out in cell["outputs"]:
                assert not (out.get("output_type") == "stream" and out.get("name") == "stderr"), (
                    f"cell {i}: a checked cell must not write to stderr (warnings change)"
                )
                assert out.get("output_type") != "error", f"cell {i}: stored an error"
        else:
            assert not cell["outputs"], (
                f"cell {i} is stored with outputs (notebooks are stored clean)"
            )


@pytest.mark.parametrize("name", PARTS)
def test_has_sections_and_self_checking_exercises(name):
    nb = load(name)
    md = "\n".join(text(c) for c in nb["cells"] if c["cell_type"] == "markdown").lower()
    for heading in ("## gotchas", "## exercises", "## what's next"):
        assert heading in md, f"missing section {heading!r}"
    src = "\n".join(code(nb))
    part = int(name[:2])
    assert f"from course_utils.exercises import part{part}" in src
    assert len(re.findall(rf"part{part}\.q\d+\.check\(", src)) >= 2, (
        "at least two checked exercises"
    )
    assert sum(1 for s in code(nb) if s.lstrip().startswith(MARK)) >= 1, "no nbval-checked cell"


@pytest.mark.parametrize("name", PARTS)
def test_every_model_has_a_stand_in(name):
    src = "\n".join(code(load(name)))
    missing = repo_ids(src) - KNOWN_IDS
    assert not missing, (
        f"repo ids without an offline stand-in (add them to tests/standins.py): {missing}"
    )
    for task in re.findall(r"""pipeline\(\s*["']([\w-]+)["']\s*\)""", src):
        assert task in DEFAULTS_WITH_STANDIN, f"pipeline({task!r}) with no model: name the model"


@pytest.mark.parametrize("name", PARTS)
def test_never_blocks_or_leaks(name):
    src = "\n".join(code(load(name)))
    assert not re.search(r"(?<![\w.])input\(", src), "input() blocks an automated run"
    assert not re.search(r"(?<![\w.])notebook_login\(", src), "use cu.login(): it never blocks"
    assert not re.search(r"\bhf_[A-Za-z0-9]{30,}\b", json.dumps(load(name))), (
        "a token is in the notebook"
    )


def test_repo_id_scanner_finds_ids_and_skips_paths():
    src = (
        'pipeline("fill-mask", model="distilbert/distilbert-base-uncased")\n'
        'open("assets/cat.png")\n'
        'x = "notebooks/_work/a"\nurl = "https://huggingface.co/settings"'
    )
    assert repo_ids(src) == {"distilbert/distilbert-base-uncased"}
    assert "someone/not-a-standin" not in KNOWN_IDS


def test_colab_badges_file_is_current():
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "badges.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    listed = (ROOT / "colab_badges.md").read_text()
    for name in PARTS:
        assert badge(f"notebooks/{name}.ipynb") in listed


def test_readme_course_map_lists_every_part_with_its_badge():
    readme = (ROOT / "README.md").read_text()
    for name in PARTS:
        assert badge(f"notebooks/{name}.ipynb") in readme, f"README's course map lacks {name}"
