"""course_utils.plots render headless (MPLBACKEND=Agg) with real configs, and read clearly."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

import course_utils as cu  # noqa: E402
from course_utils.errors import BadInputError  # noqa: E402
from course_utils.plots import OKABE_ITO  # noqa: E402

CONFIGS = Path(__file__).parent / "configs"
LLAMA = str(CONFIGS / "meta-llama--Llama-3.1-8B-Instruct.json")
LLAMA_70B = str(CONFIGS / "meta-llama--Llama-3.1-70B-Instruct.json")
QWEN_7B = str(CONFIGS / "Qwen--Qwen2.5-7B-Instruct.json")
MISTRAL = str(CONFIGS / "mistralai--Mistral-7B-v0.1.json")


def _text_boxes(fig):
    """Every visible, non-empty text of the figure with its box as the renderer draws it."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    # Text's own box: an annotation's box would also hold its leader line
    return [
        (t.get_text(), matplotlib.text.Text.get_window_extent(t, renderer))
        for t in fig.findobj(matplotlib.text.Text)
        if t.get_visible() and t.get_text().strip() and t.figure is fig
    ]


def _overlaps(boxes):
    return [
        (a, b) for i, (a, ba) in enumerate(boxes) for b, bb in boxes[i + 1 :] if ba.overlaps(bb)
    ]


def test_plot_memory_bars_and_gpu_lines(tmp_path):
    fig = cu.plot_memory(
        {"Llama-3.1-8B": LLAMA, "7B by count": 7e9},
        dtypes=["bf16", "int8", "4bit"],
        gpus=["T4", 24],
    )
    ax = fig.axes[0]
    assert len(ax.patches) == 2 * 3
    heights = sorted(round(p.get_height(), 2) for p in ax.patches)
    assert 14.96 in heights and 5.61 in heights  # Llama-3.1-8B bf16 and nf4, in GiB
    # a named card at its usable memory (cu.GPUS), a number as given
    assert [round(line.get_ydata()[0], 2) for line in ax.get_lines()] == [
        cu.GPUS["T4"].usable_gib,
        24.0,
    ]
    fig.savefig(tmp_path / "bars.png")
    with pytest.raises(BadInputError):
        cu.plot_memory([LLAMA], dtypes=["float64"])


def test_plot_memory_reads_clearly_on_the_part8_models(tmp_path):
    """Part 8's picture: 8B to 70B from float32 to nf4 against T4, L4 and A100-80GB."""
    models = {
        "Llama-3.1-8B-Instruct": LLAMA,
        "Qwen2.5-7B-Instruct": QWEN_7B,
        "Llama-3.1-70B-Instruct": LLAMA_70B,
    }
    fig = cu.plot_memory(
        models, dtypes=["float32", "bfloat16", "int8", "nf4"], gpus=["T4", "L4", "A100-80GB"]
    )
    ax = fig.axes[0]
    assert (
        ax.get_yscale() == "log"
    )  # a 0-300 GiB linear axis squashed the 7-8B bars against the T4 line
    assert ax.get_title() and "GiB" in ax.get_ylabel()
    colors = {matplotlib.colors.to_hex(p.get_facecolor()) for p in ax.patches}
    assert colors == {c.lower() for c in OKABE_ITO[:4]}
    # the smallest bar (Qwen2.5-7B in nf4, 5.45 GiB) still rises clear of the axis bottom
    bottom = ax.get_ylim()[0]
    assert min(p.get_height() for p in ax.patches) > 1.5 * bottom
    boxes = _text_boxes(fig)
    gpu_labels = [b for b in boxes if "usable" in b[0]]
    assert len(gpu_labels) == 3
    assert not _overlaps(boxes), "texts overlap"
    fig.savefig(tmp_path / "part8.png")


def test_gpu_labels_never_overlap_even_when_cards_are_close():
    fig = cu.plot_memory(7e9, dtypes=["bf16"], gpus=["T4", 16, "L4", 24, 24.5])
    boxes = _text_boxes(fig)
    assert len([b for b in boxes if "GiB" in b[0] and b[0] != fig.axes[0].get_ylabel()]) == 5
    assert not _overlaps(boxes), "texts overlap"


def test_plot_kv_cache_lines(tmp_path):
    fig = cu.plot_kv_cache(
        {"Llama": LLAMA, "Mistral": MISTRAL}, seq_lens=[1024, 4096, 16384], gpus=["T4"]
    )
    ax = fig.axes[0]
    llama, mistral = ax.get_lines()[:2]
    assert llama.get_ydata()[-1] == pytest.approx(4 * llama.get_ydata()[1])  # grows linearly
    assert mistral.get_ydata()[-1] == mistral.get_ydata()[1]  # capped at the 4096-token window
    # linear axes, so linear growth is drawn as a straight line (a log2 x-axis made it look
    # exponential)
    assert ax.get_xscale() == ax.get_yscale() == "linear"
    assert ax.get_title() and "GiB" in ax.get_ylabel() and "tokens" in ax.get_xlabel()
    assert not _overlaps(_text_boxes(fig)), "texts overlap"
    fig.savefig(tmp_path / "kv.png")
    with pytest.raises(BadInputError):
        cu.plot_kv_cache(LLAMA, seq_lens=[-1])
