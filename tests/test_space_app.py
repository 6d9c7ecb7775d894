"""Part 9 writes a Hugging Face Space (app.py, requirements.txt, README.md) from the learner's
functions. These tests run the notebook cells tagged "space" (the setup, the model ids, the
functions and the writing cell) in an IPython shell, as a kernel would, then import the written
app.py and run its functions offline, with gradio not installed."""

from __future__ import annotations

import ast
import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "09_capstone_app.ipynb"


def space_cells() -> list[str]:
    nb = json.loads(NOTEBOOK.read_text())
    return [
        "".join(c["source"])
        for c in nb["cells"]
        if c["cell_type"] == "code" and "space" in c.get("metadata", {}).get("tags", [])
    ]


@pytest.fixture(scope="module")
def space(tmp_path_factory) -> Path:
    """Run the tagged cells in a fresh IPython shell, in an empty folder;
    return the Space folder."""
    from IPython.core.interactiveshell import InteractiveShell

    folder = tmp_path_factory.mktemp("notebook")
    shell = InteractiveShell.instance()
    cwd = Path.cwd()
    try:
        import os

        os.chdir(folder)
        for source in space_cells():
            result = shell.run_cell(source, silent=True)
            assert result.success, (
                f"a space cell failed: {result.error_in_exec or result.error_before_exec}"
            )
    finally:
        os.chdir(cwd)
        InteractiveShell.clear_instance()
    return folder / "_work" / "space"


@pytest.fixture(scope="module")
def app(space):
    gradio_before = "gradio" in sys.modules
    spec = importlib.util.spec_from_file_location("space_app", space / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # loads the three small models from the (stand-in) Hub
    assert ("gradio" in sys.modules) == gradio_before, "importing app.py imported gradio"
    return module


def test_the_notebook_tags_the_cells_that_write_the_space():
    sources = space_cells()
    assert any("def chat_stream" in s for s in sources)
    assert any("def build_ui" in s for s in sources)
    assert any('(SPACE / "app.py").write_text' in s for s in sources)
    # the notebook's loading cell is not among them: the test loads the models once, through app.py
    assert not any(s.startswith("chat = cu.load_model") for s in sources)


def test_space_files(space):
    assert sorted(p.name for p in space.iterdir()) == ["README.md", "app.py", "requirements.txt"]
    readme = (space / "README.md").read_text()
    assert readme.startswith("---\n") and "sdk: gradio" in readme and "app_file: app.py" in readme
    import transformers

    reqs = (space / "requirements.txt").read_text().splitlines()
    assert f"transformers=={transformers.__version__}" in reqs
    assert any(r.startswith("practical-pytorch") for r in reqs)


def test_app_imports_gradio_only_inside_build_ui(space):
    tree = ast.parse((space / "app.py").read_text())
    top = {a.name.split(".")[0] for n in tree.body if isinstance(n, ast.Import) for a in n.names}
    top |= {n.module.split(".")[0] for n in tree.body if isinstance(n, ast.ImportFrom) and n.module}
    assert "gradio" not in top
    build_ui = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "build_ui")
    inner = {a.name for n in ast.walk(build_ui) if isinstance(n, ast.Import) for a in n.names}
    assert "gradio" in inner


def test_chat_streams_in_order_and_keeps_history(app):
    pieces = list(app.chat_stream([], "What is the capital of France?"))
    assert len(pieces) > 1 and all(isinstance(p, str) and p for p in pieces)
    first = "".join(pieces).strip()
    assert "Paris" in first
    history = [
        {"role": "user", "content": "What is the capital of France?"},
        {"role": "assistant", "content": first},
    ]
    second = "".join(app.chat_stream(history, "And which country is Berlin the capital of?"))
    assert second.strip()
    assert app.ask("What is the capital of France?") == first  # greedy: the same answer again


def test_sentiment_and_image(app):
    from PIL import Image

    import course_utils as cu

    mood = app.sentiment("I loved every minute.")
    assert mood.split()[0] in app.sentiment_pipe.model.config.id2label.values()
    labels = app.classify_image(Image.open(cu.asset("clock.png"))).splitlines()
    assert len(labels) == 3
    assert all(
        line.rsplit(" (", 1)[0] in app.image_pipe.model.config.id2label.values() for line in labels
    )


def test_bad_inputs_become_course_errors(app):
    import course_utils as cu

    with pytest.raises(cu.BadInputError, match="Type some text"):
        app.sentiment("   ")
    with pytest.raises(cu.BadInputError, match="characters"):
        list(app.chat_stream([], "x" * (app.MAX_CHARS + 1)))
    with pytest.raises(cu.BadInputError, match="Upload an image"):
        app.classify_image(None)


@pytest.mark.skipif(
    importlib.util.find_spec("gradio") is not None, reason="gradio is installed here"
)
def test_build_ui_needs_gradio_only_when_called(app):
    with pytest.raises(ModuleNotFoundError, match="gradio"):
        app.build_ui()
