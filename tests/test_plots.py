"""course_utils.plots render headless (MPLBACKEND=Agg) with real configs."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

import course_utils as cu  # noqa: E402
from course_utils.errors import BadInputError  # noqa: E402

CONFIGS = Path(__file__).parent / "configs"
LLAMA = str(CONFIGS / "meta-llama--Llama-3.1-8B-Instruct.json")
MISTRAL = str(CONFIGS / "mistralai--Mistral-7B-v0.1.json")


def test_plot_memory_bars_and_gpu_lines(tmp_path):
    fig = cu.plot_memory({"Llama-3.1-8B": LLAMA, "7B by count": 7e9}, dtypes=["bf16", "int8", "4bit"], gpus=["T4", 24])
    ax = fig.axes[0]
    assert len(ax.patches) == 2 * 3
    heights = sorted(round(p.get_height(), 2) for p in ax.patches)
    assert 14.96 in heights and 5.61 in heights  # Llama-3.1-8B bf16 and nf4, in GiB
    assert [round(line.get_ydata()[0], 1) for line in ax.get_lines()] == [15.0, 24.0]
    fig.savefig(tmp_path / "bars.png")
    with pytest.raises(BadInputError):
        cu.plot_memory([LLAMA], dtypes=["float64"])


def test_plot_kv_cache_lines(tmp_path):
    fig = cu.plot_kv_cache({"Llama": LLAMA, "Mistral": MISTRAL}, seq_lens=[1024, 4096, 16384], gpus=["T4"])
    llama, mistral = fig.axes[0].get_lines()[:2]
    assert llama.get_ydata()[-1] == pytest.approx(4 * llama.get_ydata()[1])  # grows linearly
    assert mistral.get_ydata()[-1] == mistral.get_ydata()[1]  # capped at the 4096-token window
    fig.savefig(tmp_path / "kv.png")
    with pytest.raises(BadInputError):
        cu.plot_kv_cache(LLAMA, seq_lens=[-1])
