"""The KV cache of every attention kind transformers caches (Parts 6 and 8 teach it).

Per layer and token a decoder keeps a key and a value for each KV head: 2 × kv_heads × head_dim
numbers. Grouped-query attention (Llama, Qwen) has fewer KV heads than query heads, multi-query
attention (Falcon) one, DeepSeek's multi-head latent attention (MLA) caches one compressed latent
(``kv_lora_rank``) plus the rotary part of the key (``qk_rope_head_dim``), sliding-window layers
hold at most their window while generating (the last window - 1 tokens, as a view of the
window-long tensor the last step built; right after a prefill, the whole prompt's tensor until
the next step), and encoder-decoder models (T5, Whisper) also keep the cross-attention
keys and values over the encoder's tokens. Encoder-only models (BERT, ViT) keep nothing, nor do
state-space and linear-attention layers (Mamba, Gated DeltaNet: a fixed-size state, not keys and
values) or models whose forward takes no ``past_key_values`` (GPT-1). Each figure is checked
against a real ``past_key_values`` in tests/test_kv.py and, for every causal-LM type
transformers ships, by the sweep (tests/sweep.py, make bench-memory-sweep).
"""

from __future__ import annotations

from typing import Any

from .dtypes import QUANTIZED, WIDTH, dtype_name
from .errors import BadInputError
from .resolve import resolve_model
from .validate import MAX_COUNT, shown


def whole(value: Any, what: str, zero_ok: bool = False) -> int:
    """``value`` as an int, or a BadInputError naming ``what`` (≥ 1, or ≥ 0 with ``zero_ok``)."""
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())  # no nan
    if isinstance(value, bool) or not whole or not (0 if zero_ok else 1) <= value <= MAX_COUNT:
        raise BadInputError(
            f"{what} must be a whole number {'≥ 0' if zero_ok else '≥ 1'}, got {shown(value)}."
        )
    return int(value)


def field(config: Any, *names: str, default: Any = None) -> int:
    """The first of ``names`` the config sets (a whole number ≥ 1); a BadInputError if none is."""
    for name in names:
        value = getattr(config, name, None)
        if value is not None:
            return whole(value, f"The config's {name}")
    if default is not None:
        return default
    raise BadInputError(
        f"The config has no {' or '.join(names)}: the KV cache cannot be sized without it. "
        "Pass a complete config.json (the weights' size can still be estimated)."
    )


# the fields a KV figure needs, each under any of its names (a dict or config.json is checked
# before transformers fills in its defaults)
NEEDED = {
    "num_hidden_layers": ("num_hidden_layers", "n_layer", "num_layers", "decoder_layers"),
    "num_attention_heads": ("num_attention_heads", "n_head", "num_heads",
                            "decoder_attention_heads"),
    "hidden_size": ("hidden_size", "n_embd", "d_model", "head_dim", "d_kv"),
}  # fmt: skip


def _check_raw(config: Any, built: Any) -> None:
    """A BadInputError naming what a config dict (or a folder's config.json) leaves out
    (``built``: the config transformers made of it; a size it derives is not missing)."""
    import json
    from pathlib import Path

    raw = config
    if isinstance(config, (str, Path)) and (Path(config) / "config.json").is_file():
        try:
            raw = json.loads((Path(config) / "config.json").read_text())
        except ValueError:
            return  # resolve_model says what is wrong with the file
    if not isinstance(raw, dict) or "text_config" in raw or "decoder" in raw:
        return
    derived = {n for n in NEEDED if isinstance(getattr(type(built), n, None), property)}
    aliases = getattr(built, "attribute_map", {}) or {}
    missing = [
        need
        for need, names in NEEDED.items()
        if not any(n in raw for n in (*names, aliases.get(need)))
        and need not in derived  # ProphetNet derives them
    ]
    if missing:
        raise BadInputError(
            f"The config has no {', '.join(missing)}: the KV cache cannot be sized without it "
            "(transformers would fill in its defaults). Pass the model's own config.json."
        )


def caches(config: Any) -> bool:
    """Whether the model the config describes generates (and so keeps a KV cache)."""
    import inspect

    from .meta import model_class

    cls, _ = model_class(config)
    if not getattr(cls, "can_generate", lambda: True)():
        return False
    # GPT-1 and XLM generate without a cache: their forward takes no past_key_values
    forward = getattr(cls, "forward", None)
    params = inspect.signature(forward).parameters if forward is not None else {}
    return "past_key_values" in params


def _per_token(config: Any) -> int:
    """Numbers one decoder layer keeps per token of self-attention."""
    if getattr(config, "kv_lora_rank", None):  # MLA: compressed latent + rotary key part
        return field(config, "kv_lora_rank") + field(config, "qk_rope_head_dim")
    heads = field(config, "decoder_attention_heads", "num_attention_heads")
    if config.model_type == "falcon":  # the new architecture caches keys repeated per head
        new = getattr(config, "new_decoder_architecture", False)
        multi = getattr(config, "multi_query", False) and not new
        kv_heads = heads if new else 1 if multi else field(config, "num_kv_heads", default=heads)
    elif getattr(config, "multi_query", False) is True:  # GPT-BigCode (StarCoder): one KV head
        kv_heads = 1
    else:
        kv_heads = field(config, "num_kv_heads", "num_key_value_heads", default=heads)
    if kv_heads > heads:
        raise BadInputError(f"The config has {kv_heads} KV heads for {heads} attention heads.")
    head_dim = next((getattr(config, n) for n in ("head_dim", "d_kv", "dim_head")
                     if getattr(config, n, None)), None)  # fmt: skip
    if head_dim is None:
        head_dim = field(config, "d_model", "hidden_size") // heads
    return 2 * kv_heads * whole(head_dim, "The config's head_dim")


# layer types that keep no keys and values: shared (dummy) layers, and state-space or linear
# attention layers (Mamba, Gated DeltaNet), whose state does not grow with the tokens
NO_KV = ("dummy", "linear_attention", "conv", "mamba")


def _self_tokens(config: Any, seq_len: int, windows: bool = True) -> int:
    """Tokens of self-attention cache summed over the decoder layers (windows capped unless
    ``windows=False``: at the prefill a sliding layer still holds the whole prompt)."""
    if config.is_encoder_decoder:
        return field(config, "decoder_layers", "num_decoder_layers", "num_layers") * seq_len
    from transformers.cache_utils import get_layer_types_and_kwargs

    field(config, "num_hidden_layers")
    tokens = 0
    for layer_type, kw in zip(*get_layer_types_and_kwargs(config), strict=True):
        if layer_type not in NO_KV:
            window = kw.get("sliding_window")
            # DynamicSlidingWindowLayer keeps the last window - 1 tokens as a view of the
            # tensor each step concatenates, so during generation `window` tokens stay held
            tokens += min(seq_len, window) if window and windows else seq_len
    return tokens


def _decoder_alone(config: Any) -> bool:
    """Whether an encoder-decoder type is built as its causal-LM class (BartForCausalLM): the
    decoder alone, with no encoder to cross-attend to."""
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    from .meta import model_class

    cls, _ = model_class(config)
    return cls.__name__ in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES.values()


def kv_numbers(
    config: Any, seq_len: int, encoder_len: int | None = None, windows: bool = True
) -> int:
    """Numbers the cache holds for one sequence of ``seq_len`` decoder tokens."""
    if not caches(config):
        return 0
    text = config if config.is_encoder_decoder else config.get_text_config(decoder=True)
    if text.model_type == "cpmant":  # CPM-Ant caches its prompt_length learned tokens too
        seq_len += whole(getattr(text, "prompt_length", 0), "prompt_length", zero_ok=True)
    tokens = _self_tokens(text, seq_len, windows)
    if not tokens and not config.is_encoder_decoder:  # no attention layer (Mamba)
        return 0
    numbers = tokens * _per_token(text)
    if config.is_encoder_decoder and not _decoder_alone(config):  # cross-attention: every
        # decoder layer over the encoder's tokens
        if encoder_len is None:  # Whisper's encoder always sees 30 s of audio: 1500 positions
            encoder_len = getattr(config, "max_source_positions", None) or seq_len
        layers = field(text, "decoder_layers", "num_decoder_layers", "num_layers")
        numbers += layers * whole(encoder_len, "encoder_len", zero_ok=True) * _per_token(text)
    return numbers


def kv_cache_bytes(
    config: Any,
    seq_len: int,
    batch_size: int = 1,
    dtype: Any = "bfloat16",
    *,
    encoder_len: int | None = None,
) -> int:
    """Bytes of the KV cache for ``batch_size`` sequences of ``seq_len`` tokens, in ``dtype``.

    Parts 6 and 8 use it: Part 6 measures it and Part 8 budgets for it. GQA, MQA (Falcon), MLA
    (DeepSeek-V3), sliding-window and hybrid layers (which layers slide is read with
    transformers' ``get_layer_types_and_kwargs``, the function ``DynamicCache`` uses) and
    cross-attention over ``encoder_len`` encoder tokens (default: ``seq_len``; Whisper: 1500).
    Encoder-only models (BERT, ViT) cache nothing: 0.
    """
    seq_len = whole(seq_len, "seq_len", zero_ok=True)
    batch_size = whole(batch_size, "batch_size")
    if dtype_name(dtype) in QUANTIZED:
        raise BadInputError(
            "The KV cache is kept in the compute dtype (bfloat16, float16 or float32), "
            "not in int8/4-bit."
        )
    raw, config = config, resolve_model(config, count_ok=False).basis
    if isinstance(config, int):
        raise BadInputError(
            "The KV cache depends on layers, heads and head size: pass a config, model, folder "
            "or Hub id, not a count."
        )
    if not hasattr(config, "model_type"):
        raise BadInputError(
            "kv_cache_bytes needs a transformers model or config (a plain nn.Module has no KV "
            "cache layout)."
        )
    numbers = kv_numbers(config, seq_len, encoder_len)
    if numbers:  # a model without attention (Mamba) needs no attention fields
        _check_raw(raw, config)
    return int(numbers * batch_size * WIDTH[dtype_name(dtype)])
