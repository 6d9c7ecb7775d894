"""Pictures for the memory lesson: model × precision bars against GPU lines, and KV-cache growth (Part 8).

Both functions return the matplotlib Figure (call ``plt.show()`` or let the notebook display it).
"""

from __future__ import annotations

from typing import Any, Iterable

from .errors import BadInputError
from .gpu import GIB, find_gpu

_COLORS = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860"]


def _labelled(models: Any) -> list[tuple[str | None, Any]]:
    """(label or None, model) pairs from one model, a list of models, or a {label: model} dict."""
    if isinstance(models, dict):
        pairs = list(models.items())
    elif isinstance(models, (list, tuple)):
        pairs = [(None, m) for m in models]
    else:
        pairs = [(None, models)]
    if not pairs:
        raise BadInputError("Give at least one model (a parameter count, config, module, folder or Hub id).")
    return pairs


def _gpu_lines(ax, gpus: Iterable[Any]) -> None:
    for i, gpu in enumerate(gpus):
        if isinstance(gpu, (int, float)) and not isinstance(gpu, bool):
            name, gib = f"{gpu:g} GiB", float(gpu)
        else:
            card = find_gpu(gpu)
            name, gib = f"{card.name} ({card.usable_gib:g} GiB usable)", card.usable_gib
        ax.axhline(gib, color="0.3", linestyle=(0, (4, 2 + 2 * i)), linewidth=1)
        ax.annotate(name, (1.0, gib), xycoords=("axes fraction", "data"), ha="right", va="bottom", fontsize=8)


def plot_memory(
    models: Any,
    dtypes: Iterable[Any] = ("float32", "bfloat16", "int8", "nf4"),
    gpus: Iterable[Any] = ("T4", "L4", "A100-40GB"),
    *,
    seq_len: int = 0,
    batch_size: int = 1,
):
    """Bars of each model's memory in each precision, with a dashed line per GPU's usable memory.

    Part 8 teaches this picture. ``models``: one model, a list, or ``{label: model}``; each is
    anything ``estimate_memory`` accepts. The bars include the KV cache when ``seq_len`` > 0.
    """
    import matplotlib.pyplot as plt

    from .dtypes import dtype_name as _dtype_name
    from .memory import estimate_memory
    from .resolve import resolve_model as _resolve

    dtypes = [_dtype_name(d) for d in dtypes]
    if not dtypes:
        raise BadInputError("Give at least one dtype, e.g. dtypes=('bfloat16', 'nf4').")
    rows = []
    for label, model in _labelled(models):
        name, thing = _resolve(model)
        rows.append((label or name, [estimate_memory(thing, d, seq_len=seq_len, batch_size=batch_size) for d in dtypes]))
    fig, ax = plt.subplots(figsize=(1.6 + 1.4 * len(rows) * max(1, len(dtypes)) / 3, 4.2))
    width = 0.8 / len(dtypes)
    for j, dtype in enumerate(dtypes):
        xs = [i + (j - (len(dtypes) - 1) / 2) * width for i in range(len(rows))]
        values = [ests[j].total_bytes / GIB for _, ests in rows]
        bars = ax.bar(xs, values, width * 0.95, label=dtype, color=_COLORS[j % len(_COLORS)])
        ax.bar_label(bars, fmt="%.1f", fontsize=7, padding=1)
    _gpu_lines(ax, list(gpus))
    ax.set_xticks(range(len(rows)), [label for label, _ in rows], rotation=15 if len(rows) > 3 else 0)
    ax.set_ylabel("GiB" + (f" (weights + KV cache, {seq_len:,} tokens)" if seq_len else " (weights)"))
    ax.set_title("Model memory by precision, against GPU memory")
    ax.legend(title="precision", fontsize=8)
    ax.margins(y=0.15)
    fig.tight_layout()
    return fig


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

    Part 6 measures the KV cache and Part 8 budgets for it. ``config_or_model``: one model, a
    list, or ``{label: model}`` (configs, modules, folders or Hub ids). With ``weights_dtype``
    the line shows weights + KV cache, so it can be read against ``gpus`` lines.
    """
    import matplotlib.pyplot as plt

    from .memory import estimate_memory, kv_cache_bytes
    from .resolve import resolve_model as _resolve

    seq_lens = sorted(set(seq_lens)) if seq_lens is not None else [2**k for k in range(7, 18)]
    if not seq_lens or min(seq_lens) < 0:
        raise BadInputError("seq_lens must be token counts ≥ 0, e.g. seq_lens=[1024, 4096, 32768].")
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for i, (label, model) in enumerate(_labelled(config_or_model)):
        name, config = _resolve(model, count_ok=False)  # the cache needs the layout
        base = estimate_memory(config, weights_dtype).weights_bytes if weights_dtype is not None else 0
        values = [(base + kv_cache_bytes(config, n, batch_size, dtype)) / GIB for n in seq_lens]
        ax.plot(seq_lens, values, marker="o", markersize=3, label=label or name, color=_COLORS[i % len(_COLORS)])
    _gpu_lines(ax, list(gpus))
    ax.set_xscale("log", base=2)
    ax.set_xlabel(f"tokens in the cache (batch {batch_size})")
    ax.set_ylabel("GiB" + (" (weights + KV cache)" if weights_dtype is not None else " (KV cache)"))
    ax.set_title("The KV cache grows with every token")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
