"""The memory calculator renders headless, reacts to every control and reads clearly."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.text

import course_utils as cu
from course_utils.widgets import _figure

LLAMA = str(Path(__file__).parent / "configs" / "meta-llama--Llama-3.1-8B-Instruct.json")


def test_calculator_reacts_to_its_controls():
    import ipywidgets

    ui = cu.memory_calculator(LLAMA)
    assert isinstance(ui, ipywidgets.VBox)
    assert "does not fit on T4" in ui.verdict.value and bytes(ui.image.value).startswith(b"\x89PNG")
    ui.controls["dtype"].value = ("nf4", False)
    assert "fits on T4" in ui.verdict.value and "does not" not in ui.verdict.value
    ui.controls["dtype"].value = ("bfloat16", False)
    ui.controls["gpu"].value = "L4"
    assert "fits on L4" in ui.verdict.value and "does not" not in ui.verdict.value
    ui.controls["seq_len"].value = 32768
    assert "KV cache" in ui.verdict.value
    # a parameter count instead of a model
    ui.controls["model"].value = ""
    ui.controls["params"].value = 70
    assert "70.00B parameters" in ui.verdict.value
    # a Hub id (offline: the stand-in cache)
    ui.controls["model"].value = "meta-llama/Llama-3.1-70B-Instruct"
    assert "Llama-3.1-70B-Instruct" in ui.verdict.value


def _needed_gib(verdict: str) -> float:
    return float(re.search(r"needs about ([\d.]+) GiB", verdict).group(1))


def test_calculator_context_slider_grows_the_need_up_to_the_models_limit(tmp_path):
    """Each slider step past 4,096 counts (the default is no ceiling); the model's own
    max_position_embeddings is (Gemma 2 attends to 8,192 tokens), and the verdict says so."""
    ui = cu.memory_calculator(LLAMA)
    at_default = _needed_gib(ui.verdict.value)
    assert "at 4,096 tokens of context" in ui.verdict.value
    ui.controls["seq_len"].value = 32768
    assert "at 32,768 tokens of context" in ui.verdict.value
    # Llama 3.1 8B keeps 128 KiB per token in bf16: 28,672 more tokens are 3.5 GiB more
    assert _needed_gib(ui.verdict.value) > at_default + 3.4

    gemma = tmp_path / "gemma-2-2b-it"
    gemma.mkdir()
    (gemma / "config.json").write_text(
        (Path(__file__).parent / "configs" / "google--gemma-2-2b-it.json").read_text()
    )
    ui.controls["model"].value = str(gemma)
    assert "at 8,192 tokens of context" in ui.verdict.value, ui.verdict.value


def test_an_error_hides_the_picture_instead_of_a_broken_image():
    ui = cu.memory_calculator(LLAMA)
    assert ui.image.layout.display in (None, "")
    ui.controls["model"].value = "nobody/not-cached"
    assert "not in the local cache" in ui.verdict.value  # a message, not a traceback
    assert (
        ui.image.layout.display == "none"
    )  # empty bytes showed a broken-image icon in the browser
    ui.controls["model"].value = LLAMA
    assert ui.image.layout.display in (None, "") and bytes(ui.image.value).startswith(b"\x89PNG")


def test_calculator_figure_labels_do_not_touch():
    est = cu.estimate_memory(LLAMA, "bfloat16", seq_len=16384)
    est.model = "Llama-3.1-8B-Instruct"
    fig = _figure(est, cu.GPUS["T4"].usable_bytes, "T4")
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    ax = fig.axes[0]
    boxes = {
        t.get_text(): t.get_window_extent(renderer)
        for t in fig.findobj(matplotlib.text.Text)
        if t.get_visible() and t.get_text().strip()
    }
    legend = fig.legends[0].get_window_extent(renderer)
    xlabel = ax.xaxis.label.get_window_extent(renderer)
    assert not xlabel.overlaps(legend), "the x-axis label touches the legend"
    assert "GiB" in ax.get_xlabel() and "Llama-3.1-8B-Instruct" in ax.get_title()
    gpu = next(b for text, b in boxes.items() if text.startswith("T4:"))
    assert ax.get_window_extent(renderer).contains(
        gpu.x0 + 1, gpu.y0 + 1
    )  # inside the axes, not clipped away
    others = [b for text, b in boxes.items() if not text.startswith("T4:")]
    assert not any(gpu.overlaps(b) for b in others)
