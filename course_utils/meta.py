"""Counting a model's bytes without its memory: build it on the meta device, quantize it there
the way transformers would, and add up what each tensor would hold (memory.py reports it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .dtypes import QUANTIZED, dtype_name
from .errors import BadInputError, MissingPackageError

# bitsandbytes storage per quantized weight (bitsandbytes 0.50; checked to the byte in
# tests/test_memory.py)
BLOCK = 64  # 4-bit: one fp32 absmax per 64 weights
NESTED_BLOCK = 256  # double quant: absmax stored as uint8, with one fp32 scale per 256 blocks
CODE_4BIT = 16 * 4  # per layer: the 16-entry fp32 code table (nf4 or fp4 levels)
CODE_NESTED = 256 * 4 + 4  # per layer with double quant: 256-entry fp32 code + fp32 offset


def quantized_weight_bytes(
    out_features: int, in_features: int, dtype: Any, double_quant: bool = False
) -> int:
    """Bytes bitsandbytes holds for one quantized ``out × in`` weight, scales and code tables."""
    name = dtype_name(dtype)
    n = out_features * in_features
    if name == "int8":
        return n + 4 * out_features  # int8 weight + one fp32 scale (SCB) per output row
    if name not in ("nf4", "fp4"):
        raise BadInputError(f"{name} is not a quantized dtype; use int8, nf4 or fp4.")
    blocks = math.ceil(n / BLOCK)
    packed = math.ceil(n / 2)  # two 4-bit values per byte
    if double_quant:
        return packed + blocks + 4 * math.ceil(blocks / NESTED_BLOCK) + CODE_NESTED + CODE_4BIT
    return packed + 4 * blocks + CODE_4BIT


def per_param_quantized(name: str, double_quant: bool) -> float:
    """Asymptotic bytes per quantized parameter (used when only a parameter count is known)."""
    if name == "int8":
        return 1.0
    if double_quant:
        return 0.5 + 1 / BLOCK + 4 / (BLOCK * NESTED_BLOCK)
    return 0.5 + 4 / BLOCK


# The task a config without ``architectures`` is guessed to be, in this order (transformers'
# auto mappings): text generation first, then the models that generate from other inputs, then
# the heads a vision or audio checkpoint usually carries; the headless model last.
TASKS = (
    "MODEL_FOR_CAUSAL_LM_MAPPING_NAMES", "MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES",
    "MODEL_FOR_SPEECH_SEQ_2_SEQ_MAPPING_NAMES", "MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES",
    "MODEL_FOR_IMAGE_CLASSIFICATION_MAPPING_NAMES", "MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING_NAMES",
    "MODEL_FOR_MASKED_LM_MAPPING_NAMES", "MODEL_MAPPING_NAMES",
)  # fmt: skip


def model_class(config: Any) -> tuple[Any, bool]:
    """(the class transformers builds for ``config``, whether it had to be guessed).

    ``architectures`` names it; without it the class of the first task in TASKS that knows the
    model type is taken (the estimate then says so).
    """
    import transformers
    from transformers.models.auto import modeling_auto

    for name in getattr(config, "architectures", None) or []:
        cls = getattr(transformers, name, None)
        if cls is not None:
            return cls, False
    # an encoder-decoder config (Whisper) is also listed as its decoder alone for causal LM
    for task in TASKS[1:] if getattr(config, "is_encoder_decoder", False) else TASKS:
        name = getattr(modeling_auto, task, {}).get(config.model_type)
        cls = getattr(transformers, name, None) if isinstance(name, str) else None
        if cls is not None:
            return cls, True
    raise BadInputError(
        f"transformers has no model class for model type {config.model_type!r}. "
        "Pass the parameter count instead (the figure is then a rough one)."
    )


def config_for(cls: Any, config: Any) -> Any:
    """The config ``cls`` is built from: a composite config's text config when the class is a
    text model (Llama 4, Qwen 3.5), as AutoModelForCausalLM.from_config swaps it in."""
    text_class = (getattr(config, "sub_configs", None) or {}).get("text_config")
    if text_class is None or getattr(cls, "config_class", None) != text_class:
        return config
    text = config.get_text_config()
    if getattr(config, "quantization_config", None) is not None:
        text.quantization_config = config.quantization_config
    return text


def meta_model(config: Any, dtype: Any, tie: bool = True) -> Any:
    """The empty model (no memory) for a config, built the way transformers builds it.

    ``tie=False`` leaves the tied weights apart, as from_pretrained does until the weights are
    loaded: bitsandbytes' skip list (the last entry of named_parameters) is read then."""
    import contextlib
    import copy

    import torch
    from transformers import initialization

    config = copy.deepcopy(config)  # building sets config.dtype; leave the caller's config alone
    cls, _ = model_class(config)
    config = config_for(cls, config)
    untied = contextlib.nullcontext() if tie else initialization.no_tie_weights()
    try:
        # torch.device("meta"), not accelerate.init_empty_weights: lm_head stays tied
        with torch.device("meta"), untied:
            return cls._from_config(config, dtype=dtype)
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as e:
        raise BadInputError(
            f"transformers cannot build a {config.model_type!r} model from this config ({e}). "
            "Pass the parameter count instead (the figure is then a rough one)."
        ) from e


def fp32_names(model: Any, load_dtype: Any) -> Any:
    """A regex of the parameters transformers loads in float32 whatever ``load_dtype`` says.

    ``_keep_in_fp32_modules`` (T5's ``DenseReluDense.wo``) when loading in float16, and
    ``_keep_in_fp32_modules_strict`` in float16 or bfloat16: transformers' own dtype plan.
    """
    plan = getattr(model, "_get_dtype_plan", None)
    globs = list(plan(load_dtype)) if plan is not None else []
    if not globs:
        return None
    from transformers.core_model_loading import build_glob_alternation

    return build_glob_alternation(globs)[0]


def meta_copy(module: Any) -> Any:
    """A copy of a plain nn.Module on the meta device (no memory; shared tensors stay shared)."""
    import copy

    import torch

    memo: dict[int, Any] = {}
    for t in [*module.parameters(), *module.buffers()]:
        meta = t.detach().to("meta")
        is_param = isinstance(t, torch.nn.Parameter)
        memo[id(t)] = torch.nn.Parameter(meta, requires_grad=t.requires_grad) if is_param else meta
    return copy.deepcopy(module, memo)


def _quantize_on_meta(model: Any, name: str, double_quant: bool, compute_dtype: Any) -> None:
    """Swap in bitsandbytes layers exactly where transformers would (its own functions decide)."""
    try:
        import bitsandbytes  # noqa: F401
    except ImportError as e:
        raise MissingPackageError(
            "8-bit and 4-bit estimates need bitsandbytes: pip install bitsandbytes"
        ) from e
    from transformers import BitsAndBytesConfig, PreTrainedModel
    from transformers.integrations import replace_with_bnb_linear
    from transformers.quantizers import AutoHfQuantizer

    if name == "int8":
        qconfig = BitsAndBytesConfig(load_in_8bit=True)
    else:
        qconfig = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type=name, bnb_4bit_use_double_quant=double_quant,
            bnb_4bit_compute_dtype=compute_dtype,
        )  # fmt: skip
    if isinstance(model, PreTrainedModel):
        # the same call from_pretrained makes: skip list from get_keys_to_not_convert +
        # _keep_in_fp32_modules, then replace_with_bnb_linear
        quantizer = AutoHfQuantizer.from_config(qconfig, pre_quantized=False)
        quantizer.preprocess_model(model, device_map=None)
        model.tie_weights()  # from_pretrained ties once the weights are in
    else:
        replace_with_bnb_linear(model, modules_to_not_convert=None, quantization_config=qconfig)


@dataclass
class Counts:
    """What the tensors of a model on the meta device would hold once loaded."""

    params: int = 0
    quantized_params: int = 0
    quantized_bytes: int = 0  # packed weights + their scales and code tables
    kept_params: int = 0
    kept_bytes: int = 0  # parameters and buffers left unquantized


def _tensors(model: Any) -> list[tuple[Any, str, Any, bool]]:
    """(module, qualified name, tensor, is_parameter) for each tensor, each storage once."""
    seen: set[int] = set()
    out = []
    for mod_name, module in model.named_modules():
        own = [(n, p, True) for n, p in module.named_parameters(recurse=False)]
        own += [(n, b, False) for n, b in module.named_buffers(recurse=False)]
        for t_name, t, is_param in own:
            if t is None or id(t) in seen:
                continue
            seen.add(id(t))
            out.append((module, f"{mod_name}.{t_name}" if mod_name else t_name, t, is_param))
    return out


def _bits(dtype: Any) -> int:
    """Bits per element of any dtype: bool and complex too (torch.iinfo refuses those)."""
    return dtype.itemsize * 8


def count_bytes(model: Any, name: str, double_quant: bool, compute_dtype: Any) -> Counts:
    """Quantize ``model`` (on meta) to ``name`` when it is int8/nf4/fp4, then count its tensors.

    ``model`` is built in its load dtype; what transformers keeps in float32 is counted so.
    """
    fp32 = fp32_names(model, next(iter(model.parameters())).dtype)
    before: dict[str, Any] = {}  # each tensor's dtype before the swap (new layers come in fp32)
    qtypes: tuple = ()
    if name in QUANTIZED:
        before = {n: t.dtype for n, t in model.named_parameters(remove_duplicate=False)}
        _quantize_on_meta(model, name, double_quant, compute_dtype)
        import bitsandbytes as bnb

        qtypes = (bnb.nn.Linear8bitLt, bnb.nn.Linear4bit)
    counts = Counts()
    for module, full, t, is_param in _tensors(model):
        counts.params += t.numel() if is_param else 0
        if isinstance(module, qtypes) and full.rsplit(".", 1)[-1] == "weight":
            counts.quantized_params += t.numel()
            rows = t.shape[0]
            counts.quantized_bytes += quantized_weight_bytes(
                rows, t.numel() // rows, name, double_quant
            )
        else:
            counts.kept_params += t.numel() if is_param else 0
            # transformers' dtype plan keeps these in float32, parameters and buffers alike
            # (DeepSeek-V3's e_score_correction_bias is a buffer)
            kept32 = fp32 is not None and t.is_floating_point() and fp32.search(full)
            bits = 32 if kept32 else None
            counts.kept_bytes += t.numel() * (bits or _bits(before.get(full, t.dtype))) // 8
    return counts
