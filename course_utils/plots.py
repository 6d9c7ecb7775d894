"""Pictures for the memory lesson (Part 8): model × precision bars against GPU lines, and the
KV cache's growth.

Both functions return the matplotlib Figure (call ``plt.show()`` or let the notebook display it).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .errors import BadInputError
from .gpu import GIB, find_gpu

# Okabe-Ito: told apart with every common colour-vision deficiency (and in grey scale by order)
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000"]
_COLORS = OKABE_ITO


def _labelled(models: Any) -> list[tuple[str | None, Any]]:
    """(label or None, model) pairs from one model, a list of models, or a {label: model} dict."""
    if isinstance(models, dict):
        pairs = list(models.items())
    elif isinstance(models, (list, tuple)):
        pairs = [(None, m) for m in models]
    else:
        pairs = [(None, models)]
    if not pairs:
        raise BadInputError(
            "Give at least one model (a parameter count, config, module, folder or Hub id)."
        )
    return pairs


def _gpu_cards(gpus: Iterable[Any]) -> list[tuple[str, float]]:
    """(label, usable GiB) for each GPU name from GPUS or size in GiB."""
    cards = []
    for gpu in gpus:
        if isinstance(gpu, (int, float)) and not isinstance(gpu, bool):
            cards.append((f"{gpu:g} GiB", float(gpu)))
        else:
            card = find_gpu(gpu)
            cards.append((f"{card.name} ({card.usable_gib:g} GiB usable)", card.usable_gib))
    return cards


def _spread(ys: list[float], gap: float) -> list[float]:
    """Positions (axes fractions, in the order given) at least ``gap`` apart, each as near its own
    y as it can be."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    out = [0.0] * len(ys)
    last = -1.0
    for i in order:
        out[i] = max(ys[i], last + gap)
        last = out[i]
    over = last - 1.0  # pushed off the top: shift the whole stack down
    if over > 0:
        out = [y - over for y in out]
    return out


def _gpu_lines(ax, cards: list[tuple[str, float]], axis: str = "y") -> None:
    """A dashed line per GPU's usable memory, labelled in the right margin (labels never overlap).

    Call it after the axis scale and limits are final: the labels are placed in axes fractions.
    """
    if not cards:
        return
    to_axes = ax.transData + ax.transAxes.inverted()
    fracs = [float(to_axes.transform((1.0, gib))[1]) for _, gib in cards]
    height = ax.get_window_extent().height or 300.0
    for i, ((name, gib), y, label_y) in enumerate(
        zip(cards, fracs, _spread(fracs, 1.45 * 8 * ax.figure.dpi / 72 / height), strict=True)
    ):
        ax.axhline(gib, color="0.25", linestyle=(0, (4, 1.5 + 1.5 * i)), linewidth=1)
        ax.annotate(
            name,
            (1.0, y),
            xytext=(1.015, label_y),
            xycoords="axes fraction",
            textcoords="axes fraction",
            ha="left",
            va="center",
            fontsize=8,
            annotation_clip=False,
            arrowprops={"arrowstyle": "-", "color": "0.5", "lw": 0.6}
            if abs(label_y - y) > 0.01
            else None,
        )


def plot_memory(
    models: Any,
    dtypes: Iterable[Any] = ("float32", "bfloat16", "int8", "nf4"),
    gpus: Iterable[Any] = ("T4", "L4", "A100-40GB"),
    *,
    seq_len: int = 0,
    batch_size: int = 1,
):
    """Bars of each model's memory in each precision, with a dashed line per GPU's usable memory.

    ``models``: one model, a list, or ``{label: model}``; each is
    anything ``estimate_memory`` accepts. The bars include the KV cache when ``seq_len`` > 0.
    """
    import matplotlib.pyplot as plt

    from .dtypes import dtype_name

    dtypes = [dtype_name(d) for d in dtypes]
    if not dtypes:
        raise BadInputError("Give at least one dtype, e.g. dtypes=('bfloat16', 'nf4').")
    rows = _estimates(models, dtypes, seq_len, batch_size)
    cards = _gpu_cards(gpus)
    fig, ax = plt.subplots(
        figsize=(max(6.4, 3.2 + 1.4 * len(rows) * len(dtypes) / 3), 4.6), layout="constrained"
    )
    _grouped_bars(ax, rows, dtypes)
    heights = [e.total_bytes / GIB for _, ests in rows for e in ests] + [gib for _, gib in cards]
    _log_gib_axis(ax, heights)
    _model_ticks(ax, [label for label, _ in rows])
    ax.set_ylabel(
        "memory (GiB, log scale)"
        + (f"\nweights + KV cache of {seq_len:,} tokens" if seq_len else "")
    )
    ax.set_title("Model memory by precision, against GPU memory")
    fig.legend(title="precision", fontsize=8, loc="outside lower center", ncol=len(dtypes))
    fig.canvas.draw()  # final layout, so the GPU labels land where the lines are
    _gpu_lines(ax, cards)
    return fig


def _estimates(models: Any, dtypes: list[str], seq_len: int, batch_size: int) -> list:
    """(label, [estimate in each dtype]) for each model, labelled by the caller or its name."""
    from .memory import estimate_memory
    from .resolve import resolve_model

    rows = []
    for label, model in _labelled(models):
        name, resolved = resolve_model(model)
        ests = [
            estimate_memory(resolved, d, seq_len=seq_len, batch_size=batch_size) for d in dtypes
        ]
        rows.append((label or name, ests))
    return rows


def _grouped_bars(ax, rows: list, dtypes: list[str]) -> None:
    """One group of bars per model, one bar per dtype, each labelled with its GiB."""
    width = 0.8 / len(dtypes)
    for j, dtype in enumerate(dtypes):
        xs = [i + (j - (len(dtypes) - 1) / 2) * width for i in range(len(rows))]
        values = [ests[j].total_bytes / GIB for _, ests in rows]
        bars = ax.bar(xs, values, width * 0.95, label=dtype, color=_COLORS[j % len(_COLORS)])
        ax.bar_label(bars, fmt="%.1f", fontsize=7, padding=1)


def _log_gib_axis(ax, heights: list[float]) -> None:
    """A log y axis in plain GiB numbers (1, 2, 5, 10 ...) with room above and below ``heights``.

    Log, because a 70B in float32 and an 8B in 4-bit are 50x apart, and both must be read
    against a T4.
    """
    from matplotlib.ticker import LogLocator, NullFormatter

    ax.set_yscale("log")
    ax.set_ylim(min(heights) / 1.6, max(heights) * 1.9)
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1, 2, 5)))
    ax.yaxis.set_major_formatter(_plain_number)
    ax.yaxis.set_minor_formatter(NullFormatter())


def _model_ticks(ax, names: list[str]) -> None:
    """The model names under their groups, slanted when long names would run into each other."""
    crowded = len(names) > 3 or max(map(len, names)) * len(names) > 66
    ax.set_xticks(
        range(len(names)), names, rotation=20 if crowded else 0, ha="right" if crowded else "center"
    )


def _plain_number(value: float, _pos: Any = None) -> str:
    """Tick labels like 4, 40, 400 rather than 10^0.6 on a log axis."""
    return f"{value:g}"


def _token_step(largest: int) -> int:
    """A power-of-two tick step that gives 4 to 8 ticks up to ``largest`` tokens."""
    step = 1
    while largest / step > 8:
        step *= 2
    return step


def _tokens(value: float, _pos: Any = None) -> str:
    """Token counts as 0, 32k, 64k."""
    return f"{value / 1024:g}k" if value >= 1024 else f"{value:g}"


def plot_kv_cache(
    config_or_model: Any,
    seq_lens: Iterable[int] | None = None,
    *,
    batch_size: int = 1,
    dtype: Any = "bfloat16",
    weights_dtype: Any | None = None,
    gpus: Iterable[Any] = (),
):
    """How the KV cache grows with the number of tokens (one line per model).

    Part 6 uses it. ``config_or_model``: one model, a
    list, or ``{label: model}`` (configs, modules, folders or Hub ids). With ``weights_dtype``
    the line shows weights + KV cache, so it can be read against ``gpus`` lines.
    """
    import matplotlib.pyplot as plt

    seq_lens = sorted(set(seq_lens)) if seq_lens is not None else [2**k for k in range(7, 18)]
    if not seq_lens or min(seq_lens) < 0:
        raise BadInputError("seq_lens must be token counts ≥ 0, e.g. seq_lens=[1024, 4096, 32768].")
    cards = _gpu_cards(gpus)
    fig, ax = plt.subplots(figsize=(7.2, 4.2), layout="constrained")
    tops = [gib for _, gib in cards]
    tops += _kv_lines(ax, config_or_model, seq_lens, batch_size, dtype, weights_dtype)
    _token_axes(ax, seq_lens, max(tops) * 1.08 or 1, batch_size)
    ax.set_ylabel(
        "memory (GiB)"
        + (" of weights + KV cache" if weights_dtype is not None else " of the KV cache")
    )
    ax.set_title("The KV cache grows with every token")
    ax.legend(fontsize=8, loc="upper left")
    fig.canvas.draw()
    _gpu_lines(ax, cards)
    return fig


def _kv_lines(
    ax, models: Any, seq_lens: list[int], batch_size: int, dtype: Any, weights_dtype: Any | None
) -> list[float]:
    """One line per model: the KV cache's GiB at each token count, plus the weights when
    ``weights_dtype`` is given. Returns every value plotted."""
    from .memory import estimate_memory, kv_cache_bytes
    from .resolve import resolve_model

    plotted = []
    for i, (label, model) in enumerate(_labelled(models)):
        name, config = resolve_model(model, count_ok=False)  # the cache needs the layout
        base = (
            estimate_memory(config, weights_dtype).weights_bytes if weights_dtype is not None else 0
        )
        values = [(base + kv_cache_bytes(config, n, batch_size, dtype)) / GIB for n in seq_lens]
        plotted.extend(values)
        ax.plot(
            seq_lens,
            values,
            marker="o",
            markersize=3,
            label=label or name,
            color=_COLORS[i % len(_COLORS)],
        )
    return plotted


def _token_axes(ax, seq_lens: list[int], top_gib: float, batch_size: int) -> None:
    """Linear axes from 0, tokens ticked in powers of two (0, 32k, 64k).

    Linear, because a cache that grows linearly with the tokens then looks like a straight line.
    """
    from matplotlib.ticker import MultipleLocator

    ax.set_xlim(0, max(seq_lens) * 1.03)
    ax.set_ylim(0, top_gib)
    ax.xaxis.set_major_locator(MultipleLocator(_token_step(max(seq_lens))))
    ax.xaxis.set_major_formatter(_tokens)
    ax.set_xlabel(f"tokens in the cache (batch {batch_size})")
