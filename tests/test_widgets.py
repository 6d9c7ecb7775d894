"""The memory calculator renders headless and reacts to every control."""

from __future__ import annotations

from pathlib import Path

import course_utils as cu

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
    # a Hub id (offline: the stand-in cache) and a bad one: a message, not a traceback
    ui.controls["model"].value = "meta-llama/Llama-3.1-70B-Instruct"
    assert "Llama-3.1-70B-Instruct" in ui.verdict.value
    ui.controls["model"].value = "nobody/not-cached"
    assert "not in the local cache" in ui.verdict.value and bytes(ui.image.value) == b""
