"""The memory calculator (Part 8): pick a model, precision, context length and GPU; see the
figure and the verdict.

``cu.memory_calculator()`` returns an ipywidgets VBox; it is the last expression of a cell, so
the notebook displays it. Every change redraws; errors show as a message, never a traceback.
"""

from __future__ import annotations

import html
import io
from typing import Any

from .dtypes import PRECISIONS
from .errors import CourseError
from .gpu import GIB, GPUS


def _figure(estimate, usable_bytes: int, gpu_label: str):
    """One stacked bar (weights, KV cache, allowance) against the GPU's usable memory: a Figure."""
    # A bare Figure renders with savefig and needs no backend: never call matplotlib.use() here,
    # it would switch the notebook's backend and every later plt.show() would show nothing.
    from matplotlib.figure import Figure

    from .levers import needed_bytes
    from .plots import OKABE_ITO

    parts = [
        ("weights", estimate.weights_bytes, OKABE_ITO[0], None),
        ("KV cache", estimate.kv_cache_bytes, OKABE_ITO[1], None),
        ("allowance", needed_bytes(estimate) - estimate.total_bytes, "#BBBBBB", "//"),
    ]
    usable = usable_bytes / GIB
    fig = Figure(figsize=(6.4, 2.3), layout="constrained")
    ax = fig.subplots()
    left = 0.0
    for name, size, color, hatch in parts:
        ax.barh(
            [0],
            [size / GIB],
            left=left,
            height=0.6,
            color=color,
            hatch=hatch,
            edgecolor="white",
            label=f"{name} {size / GIB:.2f} GiB",
        )
        left += size / GIB
    ax.axvline(usable, color="black", linestyle="--", linewidth=1.2)
    # the GPU's label sits inside the axes above the bar, right-aligned on its line
    ax.annotate(
        f"{gpu_label}: {usable:.1f} GiB usable",
        (usable, 0.97),
        xycoords=("data", "axes fraction"),
        xytext=(-4, 0),
        textcoords="offset points",
        ha="right",
        va="top",
        fontsize=8,
    )
    ax.set_xlim(0, max(left, usable) * 1.08)
    ax.set_ylim(-0.45, 0.75)
    ax.set_yticks([])
    ax.set_xlabel("memory (GiB)")
    ax.set_title(f"{estimate.model} in {estimate.label}: {left:.2f} GiB needed", fontsize=10)
    fig.legend(loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    return fig


def _figure_png(estimate, usable_bytes: int, gpu_label: str) -> bytes:
    """The calculator's figure as PNG bytes, for the image widget."""
    buf = io.BytesIO()
    _figure(estimate, usable_bytes, gpu_label).savefig(buf, format="png", dpi=90)
    return buf.getvalue()


def memory_calculator(model: str = "Qwen/Qwen2.5-0.5B-Instruct", gpu: str = "T4") -> Any:
    """An interactive "will it fit?" calculator: Hub id/folder or parameter count, precision,
    tokens, GPU.

    Part 8 uses it. Leave the model box empty to use the
    parameter-count box (in billions). The verdict uses ``cu.fits``'s allowance.
    """
    import ipywidgets as w

    from .levers import needed_bytes
    from .memory import estimate_memory
    from .resolve import resolve_model as _resolve

    style = {"description_width": "110px"}
    layout = w.Layout(width="480px")
    model_box = w.Text(
        value=model,
        description="Hub id or folder",
        placeholder="org/name, or empty to use the count",
        continuous_update=False,
        style=style,
        layout=layout,
    )
    params_box = w.FloatText(
        value=7.0, description="or billions", style=style, layout=w.Layout(width="240px")
    )
    dtype_box = w.Dropdown(
        options=PRECISIONS,
        value=("bfloat16", False),
        description="precision",
        style=style,
        layout=layout,
    )
    seq_box = w.IntSlider(
        value=0,
        min=0,
        max=32768,
        step=512,
        description="tokens (KV)",
        continuous_update=False,
        style=style,
        layout=layout,
    )
    gpu_box = w.Dropdown(
        options=list(GPUS), value=gpu, description="GPU", style=style, layout=layout
    )
    verdict = w.HTML()
    image = w.Image(format="png", layout=w.Layout(width="600px"))
    resolved: dict[str, tuple[str, Any]] = {}  # a Hub lookup once per id, not on every slider move

    def update(_change: Any = None) -> None:
        try:
            text = model_box.value.strip()
            if text:
                if text not in resolved:
                    resolved[text] = _resolve(text)
                label, thing = resolved[text]
            else:
                label, thing = _resolve(params_box.value * 1e9)
            dtype, dq = dtype_box.value
            est = estimate_memory(thing, dtype, double_quant=dq, seq_len=seq_box.value)
            est.model = label
            card = GPUS[gpu_box.value]
            need = needed_bytes(est)
            ok = need <= card.usable_bytes
            image.value = _figure_png(est, card.usable_bytes, card.name)
            image.layout.display = None  # shown again after an error hid it
            word = "fits" if ok else "does not fit"
            color = "green" if ok else "#b00"
            lines = html.escape(str(est)).replace("\n", "<br>")
            verdict.value = (
                f"<b style='color:{color}'>{html.escape(label)} in {html.escape(est.label)} "
                f"{word} on {card.name}</b>: "
                f"needs about {need / GIB:.2f} GiB of {card.usable_gib:g} GiB usable."
                f"<details><summary>details</summary><code>{lines}</code></details>"
            )
        except CourseError as e:
            # hide the picture: an image widget with no bytes shows a broken-image icon
            image.layout.display = "none"
            verdict.value = f"<b style='color:#b00'>{html.escape(str(e))}</b>"

    for box in (model_box, params_box, dtype_box, seq_box, gpu_box):
        box.observe(update, names="value")
    ui = w.VBox([model_box, params_box, dtype_box, seq_box, gpu_box, verdict, image])
    # handles for notebooks and tests: ui.controls["gpu"].value = "L4" redraws
    ui.controls = {
        "model": model_box,
        "params": params_box,
        "dtype": dtype_box,
        "seq_len": seq_box,
        "gpu": gpu_box,
    }
    ui.verdict, ui.image, ui.update = verdict, image, update
    update()
    return ui
