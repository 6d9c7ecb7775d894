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
from .gpu import GIB, GPUS, find_gpu
from .levers import DEFAULT_CONTEXT, context_limit


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
    needed = _stacked_bar(ax, parts)
    _usable_line(ax, usable, gpu_label)
    ax.set_xlim(0, max(needed, usable) * 1.08)
    ax.set_ylim(-0.45, 0.75)
    ax.set_yticks([])
    ax.set_xlabel("memory (GiB)")
    ax.set_title(f"{estimate.model} in {estimate.label}: {needed:.2f} GiB needed", fontsize=10)
    fig.legend(loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    return fig


def _stacked_bar(ax, parts: list[tuple[str, int, str, str | None]]) -> float:
    """One horizontal bar of (name, bytes, colour, hatch) parts end to end; returns its GiB."""
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
    return left


def _usable_line(ax, usable_gib: float, gpu_label: str) -> None:
    """A dashed line at the GPU's usable memory, its label inside the axes above the bar."""
    ax.axvline(usable_gib, color="black", linestyle="--", linewidth=1.2)
    # right-aligned on its line, so it never runs off the right edge
    ax.annotate(
        f"{gpu_label}: {usable_gib:.1f} GiB usable",
        (usable_gib, 0.97),
        xycoords=("data", "axes fraction"),
        xytext=(-4, 0),
        textcoords="offset points",
        ha="right",
        va="top",
        fontsize=8,
    )


def _figure_png(estimate, usable_bytes: int, gpu_label: str) -> bytes:
    """The calculator's figure as PNG bytes, for the image widget."""
    buf = io.BytesIO()
    _figure(estimate, usable_bytes, gpu_label).savefig(buf, format="png", dpi=90)
    return buf.getvalue()


def _controls(model: str, gpu: str) -> dict[str, Any]:
    """The calculator's five inputs, in display order, by the names ``ui.controls`` gives them."""
    import ipywidgets as w

    style = {"description_width": "110px"}
    layout = w.Layout(width="480px")
    return {
        "model": w.Text(
            value=model,
            description="Hub id or folder",
            placeholder="org/name, or empty to use the count",
            continuous_update=False,
            style=style,
            layout=layout,
        ),
        "params": w.FloatText(
            value=7.0, description="or billions", style=style, layout=w.Layout(width="240px")
        ),
        "dtype": w.Dropdown(
            options=PRECISIONS,
            value=("bfloat16", False),
            description="precision",
            style=style,
            layout=layout,
        ),
        "seq_len": w.IntSlider(
            value=DEFAULT_CONTEXT,
            min=0,
            max=32768,
            step=512,
            description="tokens (KV)",
            continuous_update=False,
            style=style,
            layout=layout,
        ),
        "gpu": w.Dropdown(
            options=list(GPUS), value=gpu, description="GPU", style=style, layout=layout
        ),
    }


def _estimate(controls: dict[str, Any], resolved: dict[str, tuple[str, Any]]):
    """The estimate for the inputs as they stand, named after the model; ``resolved`` keeps each
    Hub id's lookup, so a slider move does not ask the Hub again."""
    from .memory import estimate_memory
    from .resolve import resolve_model

    text = controls["model"].value.strip()
    if text:
        if text not in resolved:
            resolved[text] = resolve_model(text)
        label, model = resolved[text]
    else:
        label, model = resolve_model(controls["params"].value * 1e9)
    dtype, double_quant = controls["dtype"].value
    # the model's own limit caps the slider (a 2,048-token model holds no 4,096-token cache)
    seq_len = controls["seq_len"].value
    seq_len = min(seq_len, (context_limit(model) if text else None) or seq_len)
    est = estimate_memory(model, dtype, double_quant=double_quant, seq_len=seq_len)
    est.model = label
    return est


def _verdict_html(est, card) -> str:
    """The verdict line in green or red, with the estimate's table folded under "details"."""
    from .levers import needed_bytes

    need = needed_bytes(est)
    ok = need <= card.usable_bytes
    word = "fits" if ok else "does not fit"
    color = "green" if ok else "#b00"
    lines = html.escape(str(est)).replace("\n", "<br>")
    return (
        f"<b style='color:{color}'>{html.escape(est.model)} in {html.escape(est.label)} "
        f"{word} on {card.name}</b> {html.escape(est.context or 'with no KV cache')}: "
        f"needs about {need / GIB:.2f} GiB of {card.usable_gib:g} GiB usable."
        + "".join(f"<br>{html.escape(note)}" for note in _caveats(est))
        + f"<details><summary>details</summary><code>{lines}</code></details>"
    )


def _caveats(est) -> list[str]:
    """What the verdict rests on that the learner must read beside it (not only in details)."""
    from .memory import NO_LAYOUT, guess_note

    lines = [guess_note(est.guessed)] if est.guessed else []
    return lines + ([] if est.kv_counted else [f"KV cache not counted: {NO_LAYOUT}."])


def _redraw(controls: dict[str, Any], verdict: Any, image: Any, resolved: dict) -> None:
    """Show the figure and verdict for the inputs as they stand; a CourseError as a message."""
    try:
        est = _estimate(controls, resolved)
        card = GPUS[controls["gpu"].value]
        image.value = _figure_png(est, card.usable_bytes, card.name)
        image.layout.display = None  # shown again after an error hid it
        verdict.value = _verdict_html(est, card)
    except CourseError as e:
        # hide the picture: an image widget with no bytes shows a broken-image icon
        image.layout.display = "none"
        verdict.value = f"<b style='color:#b00'>{html.escape(str(e))}</b>"


def memory_calculator(model: str = "Qwen/Qwen2.5-0.5B-Instruct", gpu: str = "T4") -> Any:
    """An interactive "will it fit?" calculator: Hub id/folder or parameter count, precision,
    tokens, GPU.

    Part 8 uses it. Leave the model box empty to use the
    parameter-count box (in billions). The verdict uses ``cu.fits``'s allowance.
    """
    import ipywidgets as w

    card = find_gpu(gpu)  # any name torch or the course gives a card ("H100 80GB", "Tesla T4")
    gpu = next((key for key, known in GPUS.items() if known is card), card.name)
    controls = _controls(model, gpu)
    verdict = w.HTML()
    image = w.Image(format="png", layout=w.Layout(width="600px"))
    resolved: dict[str, tuple[str, Any]] = {}  # a Hub lookup once per id, not on every slider move

    def update(_change: Any = None) -> None:
        _redraw(controls, verdict, image, resolved)

    for box in controls.values():
        box.observe(update, names="value")
    ui = w.VBox([*controls.values(), verdict, image])
    # handles for notebooks and tests: ui.controls["gpu"].value = "L4" redraws
    ui.controls = dict(controls)
    ui.verdict, ui.image, ui.update = verdict, image, update
    update()
    return ui
