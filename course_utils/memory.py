"""Will it fit? Memory maths for weights, quantization state and the KV cache (Parts 3, 6, 8 and 9).

The figure is the memory the weights really take once loaded, not params × bytes:
bitsandbytes quantizes only the layers transformers hands it (plain ``nn.Linear`` and GPT-2's
``Conv1D``), keeps embeddings, norms, biases, the output head, tied weights and
``_keep_in_fp32_modules`` in 16 bits, and stores scales beside every quantized weight.
Sizes are in GiB (2**30 bytes), the unit torch and ``nvidia-smi`` report.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
from dataclasses import dataclass, field
from typing import Any

from .errors import (
    BadInputError,
    GatedModelError,
    MissingPackageError,
    ModelNotFoundError,
    OfflineError,
)
from .gpu import GIB, GPUS, find_gpu

# name a learner may type -> canonical name
_ALIASES = {
    "float32": "float32", "fp32": "float32", "f32": "float32",
    "float16": "float16", "fp16": "float16", "half": "float16", "f16": "float16",
    "bfloat16": "bfloat16", "bf16": "bfloat16",
    "int8": "int8", "8bit": "int8", "8-bit": "int8", "llm_int8": "int8",
    "nf4": "nf4", "4bit": "nf4", "4-bit": "nf4", "int4": "nf4",
    "fp4": "fp4",
}
_WIDTH = {"float32": 4.0, "float16": 2.0, "bfloat16": 2.0, "int8": 1.0, "nf4": 0.5, "fp4": 0.5}
QUANTIZED = ("int8", "nf4", "fp4")
ACCEPTED = '"float32"/"fp32", "float16"/"fp16", "bfloat16"/"bf16", "int8"/"8bit", "nf4"/"fp4"/"4bit"/"int4" or a torch.dtype'

# bitsandbytes storage per quantized weight (bitsandbytes 0.50; checked to the byte in tests/test_memory.py)
BLOCK = 64  # 4-bit: one fp32 absmax per 64 weights
NESTED_BLOCK = 256  # double quant: absmax stored as uint8, with one fp32 scale per 256 blocks
CODE_4BIT = 16 * 4  # per layer: the 16-entry fp32 code table (nf4 or fp4 levels)
CODE_NESTED = 256 * 4 + 4  # per layer with double quant: 256-entry fp32 code + fp32 offset

# What `fits` adds on top of weights + KV cache. Not measurable on our CPU-only test machines:
# - the CUDA context (kernels, cuBLAS workspace) costs a few hundred MB depending on card and
#   driver; like common "can I run it" calculators we allow 650 MiB.
# - activations and allocator slack: EleutherAI's "Transformer Math 101" puts inference at about
#   1.2 × the weights, so we add 20 % of the weights.
CUDA_CONTEXT_BYTES = 650 * 2**20
ACTIVATION_OVERHEAD = 0.20


def _dtype_name(dtype: Any) -> str:
    """Canonical name of a dtype given as a string or a torch.dtype (torch is not imported for it)."""
    if type(dtype).__module__ == "torch" and type(dtype).__name__ == "dtype":
        dtype = str(dtype).removeprefix("torch.")
    if isinstance(dtype, str) and dtype.strip().lower() in _ALIASES:
        return _ALIASES[dtype.strip().lower()]
    raise BadInputError(f"Unknown dtype {dtype!r}. Accepted: {ACCEPTED}.")


def bytes_per_param(dtype: Any) -> float:
    """Bytes one weight takes in ``dtype``: 4, 2, 2, 1 or 0.5 (the width alone, no scales).

    Part 2 teaches this (bytes = numel × element_size); Part 8 shows why the real figure of a
    quantized model is higher (see ``estimate_memory``).
    """
    return _WIDTH[_dtype_name(dtype)]


def quantized_weight_bytes(out_features: int, in_features: int, dtype: Any, double_quant: bool = False) -> int:
    """Bytes bitsandbytes holds for one quantized ``out × in`` weight, scales and code tables included."""
    name = _dtype_name(dtype)
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


def _per_param_quantized(name: str, double_quant: bool) -> float:
    """Asymptotic bytes per quantized parameter (used when only a parameter count is known)."""
    if name == "int8":
        return 1.0
    if double_quant:
        return 0.5 + 1 / BLOCK + 4 / (BLOCK * NESTED_BLOCK)
    return 0.5 + 4 / BLOCK


def _gib(n: float) -> str:
    return f"{n / GIB:.2f} GiB"


def _count(n: int) -> str:
    for div, unit in [(1e9, "B"), (1e6, "M"), (1e3, "K")]:
        if n >= div:
            return f"{n / div:.2f}{unit}"
    return str(n)


@dataclass
class MemoryEstimate:
    """The memory a model takes: weights (quantized part + kept part + quantization state) and KV cache."""

    model: str
    params: int
    dtype: str
    weights_bytes: int
    kv_cache_bytes: int = 0
    total_bytes: int = 0
    quantized_params: int = 0
    quantized_bytes: int = 0  # packed weights + their scales and code tables
    kept_params: int = 0
    kept_bytes: int = 0  # parameters and buffers left unquantized
    compute_dtype: str = "bfloat16"
    double_quant: bool = False
    seq_len: int = 0
    batch_size: int = 1
    exact: bool = True  # False when only a parameter count was known
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.total_bytes = self.weights_bytes + self.kv_cache_bytes

    @property
    def naive_bytes(self) -> int:
        """The rule of thumb: parameters × bytes per parameter."""
        return int(self.params * bytes_per_param(self.dtype))

    @property
    def label(self) -> str:
        extra = " + double quant" if self.double_quant and self.dtype in ("nf4", "fp4") else ""
        return f"{self.dtype}{extra}"

    def _rows(self) -> list[tuple[str, str]]:
        rows = [("parameters", f"{_count(self.params)} ({self.params:,})")]
        if self.dtype in QUANTIZED and self.exact:
            rows.append((f"quantized to {self.dtype}", f"{_count(self.quantized_params)} params → {_gib(self.quantized_bytes)} (scales included)"))
            rows.append((f"kept in {self.compute_dtype}", f"{_count(self.kept_params)} params → {_gib(self.kept_bytes)} (embeddings, norms, biases, head)"))
        rows.append(("weights", _gib(self.weights_bytes)))
        if self.seq_len:
            rows.append(("KV cache", f"{_gib(self.kv_cache_bytes)} ({self.seq_len:,} tokens × batch {self.batch_size})"))
        rows.append(("total", _gib(self.total_bytes)))
        rows.append(("params × bytes", f"{_gib(self.naive_bytes)} (the rule of thumb)"))
        return rows

    def __str__(self) -> str:
        head = f"{self.model} in {self.label}"
        width = max(len(k) for k, _ in self._rows())
        lines = [head] + [f"  {k:<{width}}  {v}" for k, v in self._rows()]
        return "\n".join(lines + [f"  note: {n}" for n in self.notes])

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td style='text-align:left'>{html.escape(v)}</td></tr>"
            for k, v in self._rows()
        )
        notes = "".join(f"<p>{html.escape(n)}</p>" for n in self.notes)
        return f"<b>{html.escape(self.model)} in {html.escape(self.label)}</b><table>{rows}</table>{notes}"


# ---------------------------------------------------------------------------------------------
# Turning what the learner passed into a config (or a module, or a bare count)


def _parse_count(text: str) -> int | None:
    """'7B', '0.5b', '135M', '7e9', '7,000,000' -> an int; None if it is not a count."""
    m = re.fullmatch(r"\s*([0-9][0-9_,]*\.?[0-9]*(?:e[0-9]+)?)\s*([kmbt]?)\s*", text.lower())
    if not m:
        return None
    value = float(m.group(1).replace(",", "").replace("_", ""))
    return int(round(value * {"": 1, "k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}[m.group(2)]))


def _load_config_file(path: str):
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise BadInputError(f"{path} is not valid JSON ({e}). Re-download it or pass a parameter count.") from e
    return _config_from_dict(data, path)


def _config_from_dict(data: dict, where: str):
    from transformers import AutoConfig

    if not isinstance(data, dict) or "model_type" not in data:
        raise BadInputError(f"{where} has no 'model_type', so transformers cannot read it as a model config.")
    try:
        return AutoConfig.for_model(**data)
    except (ValueError, KeyError) as e:
        raise BadInputError(
            f"transformers {_version('transformers')} does not know model_type {data['model_type']!r} "
            f"({where}). Pass the parameter count instead, e.g. estimate_memory(7e9, ...)."
        ) from e


def _version(pkg: str) -> str:
    from importlib.metadata import version

    return version(pkg)


def _hub_config(repo_id: str):
    """The config of a Hub model without its weights: config.json from the Hub or, offline, the cache."""
    from huggingface_hub import errors as hf_errors
    from huggingface_hub import hf_hub_download

    try:
        path = hf_hub_download(repo_id, "config.json")
    except hf_errors.GatedRepoError as e:
        raise GatedModelError(
            f"{repo_id} is gated: open https://huggingface.co/{repo_id}, accept its terms, then log in "
            "(cu.login()) and try again. Or pass the parameter count instead."
        ) from e
    except hf_errors.RepositoryNotFoundError as e:
        raise ModelNotFoundError(
            f"No model {repo_id!r} on the Hub (check the spelling; private repos need cu.login())."
        ) from e
    except (hf_errors.OfflineModeIsEnabled, hf_errors.LocalEntryNotFoundError) as e:
        raise OfflineError(
            f"{repo_id} is not in the local cache and the Hub cannot be reached (offline mode or no "
            "network). Load it once while online, pass a local folder, or pass the parameter count."
        ) from e
    except hf_errors.EntryNotFoundError as e:
        raise ModelNotFoundError(f"{repo_id} has no config.json, so its size cannot be worked out; pass a parameter count.") from e
    except hf_errors.HFValidationError as e:
        raise BadInputError(f"{repo_id!r} is neither a folder here nor a valid Hub id like 'org/name'.") from e
    except Exception as e:  # httpx2 network errors are not OSError
        raise OfflineError(f"Could not reach the Hub for {repo_id} ({type(e).__name__}: {e}). Check the network, or pass the parameter count.") from e
    return _load_config_file(path)


def _hub_param_count(repo_id: str) -> int | None:
    """Exact parameter count from the safetensors headers (online only; None when unavailable).

    A gated repo's files need accepted terms, but the Hub's model info (the "Model size" on its
    page) is public, so that is the second source.
    """
    from huggingface_hub import HfApi, constants, get_safetensors_metadata

    if constants.HF_HUB_OFFLINE:
        return None
    try:
        return sum(get_safetensors_metadata(repo_id).parameter_count.values())
    except Exception:  # no safetensors, gated, network: try the public model info
        pass
    try:
        info = HfApi().model_info(repo_id, expand=["safetensors"])
        return int(info.safetensors.total) if info.safetensors else None
    except Exception:  # network: the caller says what it fell back to
        return None


def _resolve(model: Any, count_ok: bool = True) -> tuple[str, Any]:
    """(label, thing) where thing is an int count, a transformers config or an nn.Module.

    ``count_ok=False`` is for callers that need the layout (the KV cache): a gated or unknown Hub
    model then raises its own error instead of falling back to the public parameter count.
    """
    if isinstance(model, bool):
        raise BadInputError("Pass a model: a parameter count, a config, a module, a folder or a Hub id.")
    if isinstance(model, (int, float)):
        if not math.isfinite(model) or model <= 0 or int(model) != model:
            raise BadInputError(f"A parameter count must be a positive whole number, got {model!r}.")
        return f"{_count(int(model))} parameters", int(model)
    if isinstance(model, os.PathLike):
        model = os.fspath(model)
    if isinstance(model, str):
        count = _parse_count(model)
        if count is not None:
            return _resolve(count)
        if os.path.isdir(model):
            path = os.path.join(model, "config.json")
            if not os.path.isfile(path):
                raise ModelNotFoundError(f"{model} has no config.json; a model folder needs one (save_pretrained writes it).")
            return os.path.basename(os.path.normpath(model)), _load_config_file(path)
        if os.path.isfile(model) and model.endswith(".json"):
            return os.path.basename(model).removesuffix(".json"), _load_config_file(model)
        if model.startswith((".", "/", "~")) or model.count("/") > 1 or os.sep in model.replace("/", ""):
            raise ModelNotFoundError(f"No folder {model!r} here. Give a model folder with a config.json or a Hub id like 'Qwen/Qwen2.5-0.5B-Instruct'.")
        try:
            return model.split("/")[-1], _hub_config(model)
        except (BadInputError, GatedModelError):  # unknown architecture, or terms not accepted yet
            if not count_ok:
                raise
            count = _hub_param_count(model)  # online: the parameter count, public even when gated
            if count is None:
                raise
            return model.split("/")[-1], count
    if isinstance(model, dict):
        return model.get("_name_or_path") or model.get("model_type", "config"), _config_from_dict(model, "this dict")
    if hasattr(model, "model_type") and hasattr(model, "to_dict"):  # a transformers config
        return (getattr(model, "name_or_path", "") or model.model_type).split("/")[-1], model
    if hasattr(model, "named_parameters"):
        config = getattr(model, "config", None)
        if config is not None and hasattr(config, "model_type"):  # a transformers model: rebuild from config
            return (getattr(config, "name_or_path", "") or type(model).__name__).split("/")[-1], config
        return type(model).__name__, model
    raise BadInputError(
        f"Cannot estimate the memory of a {type(model).__name__}. Pass a parameter count, a transformers "
        "config, a model (nn.Module), a local folder with config.json, or a Hub id."
    )


# ---------------------------------------------------------------------------------------------
# Counting on the meta device


def _meta_model(config, dtype):
    """The empty model (no memory) for a config, built the way transformers builds it, ties kept."""
    import copy

    import torch
    import transformers

    config = copy.deepcopy(config)  # building sets config.dtype; leave the caller's config alone
    classes = [getattr(transformers, a, None) for a in (getattr(config, "architectures", None) or [])]
    classes = [c for c in classes if c is not None] + [transformers.AutoModelForCausalLM, transformers.AutoModel]
    error = None
    for cls in classes:
        try:
            # torch.device("meta") (not accelerate.init_empty_weights) keeps lm_head tied to the embeddings
            with torch.device("meta"):
                build = cls.from_config if cls.__name__.startswith("Auto") else cls._from_config
                return build(config, dtype=dtype)
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            error = e
    raise BadInputError(f"transformers cannot build a {config.model_type!r} model from this config ({error}). Pass the parameter count instead.")


def _meta_copy(module):
    """A copy of a plain nn.Module on the meta device (costs no memory; shared tensors stay shared)."""
    import copy

    import torch

    memo: dict[int, Any] = {}
    for t in [*module.parameters(), *module.buffers()]:
        meta = t.detach().to("meta")
        memo[id(t)] = torch.nn.Parameter(meta, requires_grad=t.requires_grad) if isinstance(t, torch.nn.Parameter) else meta
    return copy.deepcopy(module, memo)


def _quantize_on_meta(model, name: str, double_quant: bool, compute_dtype) -> None:
    """Swap in bitsandbytes layers exactly where transformers would (its own functions decide)."""
    try:
        import bitsandbytes  # noqa: F401
    except ImportError as e:
        raise MissingPackageError("8-bit and 4-bit estimates need bitsandbytes: pip install bitsandbytes") from e
    from transformers import BitsAndBytesConfig, PreTrainedModel
    from transformers.integrations import replace_with_bnb_linear
    from transformers.quantizers import AutoHfQuantizer

    if name == "int8":
        qconfig = BitsAndBytesConfig(load_in_8bit=True)
    else:
        qconfig = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type=name, bnb_4bit_use_double_quant=double_quant,
            bnb_4bit_compute_dtype=compute_dtype,
        )
    if isinstance(model, PreTrainedModel):
        # the same call from_pretrained makes: skip list from get_keys_to_not_convert +
        # _keep_in_fp32_modules, then replace_with_bnb_linear
        AutoHfQuantizer.from_config(qconfig, pre_quantized=False).preprocess_model(model, device_map=None)
    else:
        replace_with_bnb_linear(model, modules_to_not_convert=None, quantization_config=qconfig)


def _tally(model, name: str, double_quant: bool, compute_dtype) -> dict[str, int]:
    import torch

    quantize = name in QUANTIZED
    dtypes = {}
    if quantize:
        # what each tensor is before the swap (the new layers are created in fp32 on meta)
        dtypes = {n: t.dtype for n, t in model.named_parameters(remove_duplicate=False)}
        _quantize_on_meta(model, name, double_quant, compute_dtype)
        import bitsandbytes as bnb

        qtypes: tuple = (bnb.nn.Linear8bitLt, bnb.nn.Linear4bit)
    else:
        qtypes = ()
    out = {"params": 0, "quantized_params": 0, "quantized_bytes": 0, "kept_params": 0, "kept_bytes": 0}
    seen: set[int] = set()
    for mod_name, module in model.named_modules():
        tensors = [(n, p, True) for n, p in module.named_parameters(recurse=False)]
        tensors += [(n, b, False) for n, b in module.named_buffers(recurse=False)]
        for t_name, t, is_param in tensors:
            if t is None or id(t) in seen:
                continue
            seen.add(id(t))
            full = f"{mod_name}.{t_name}" if mod_name else t_name
            if is_param:
                out["params"] += t.numel()
            if isinstance(module, qtypes) and t_name == "weight":
                out["quantized_params"] += t.numel()
                out["quantized_bytes"] += quantized_weight_bytes(t.shape[0], t.numel() // t.shape[0], name, double_quant)
            else:
                dtype = dtypes.get(full, t.dtype)
                out["kept_params"] += t.numel() if is_param else 0
                out["kept_bytes"] += t.numel() * (torch.finfo(dtype).bits if dtype.is_floating_point else torch.iinfo(dtype).bits) // 8
    return out


def _torch_dtype(name: str):
    import torch

    return getattr(torch, name)


def kv_cache_bytes(config: Any, seq_len: int, batch_size: int = 1, dtype: Any = "bfloat16") -> int:
    """Bytes of the KV cache: 2 × layers × tokens × kv_heads × head_dim × batch × bytes.

    Part 6 measures this and Part 8 budgets for it. Sliding-window layers (Mistral, Gemma 2)
    keep at most their window of tokens; which layers slide is read with transformers' own
    ``get_layer_types_and_kwargs``, the function ``DynamicCache`` uses.
    """
    seq_len, batch_size = _positive(seq_len, "seq_len", zero_ok=True), _positive(batch_size, "batch_size")
    width = bytes_per_param(dtype)
    if _dtype_name(dtype) in QUANTIZED:
        raise BadInputError("The KV cache is kept in the compute dtype (bfloat16, float16 or float32), not in int8/4-bit.")
    label, config = _resolve(config, count_ok=False)
    if isinstance(config, int):
        raise BadInputError("The KV cache depends on layers, heads and head size: pass a config, model, folder or Hub id, not a count.")
    if not hasattr(config, "model_type"):
        raise BadInputError("kv_cache_bytes needs a transformers model or config (a plain nn.Module has no KV cache layout).")
    from transformers.cache_utils import get_layer_types_and_kwargs

    text = config.get_text_config(decoder=True)
    heads = text.num_attention_heads
    kv_heads = getattr(text, "num_key_value_heads", None) or heads
    head_dim = getattr(text, "head_dim", None) or text.hidden_size // heads
    layer_types, kwargs = get_layer_types_and_kwargs(text)
    tokens = 0
    for layer_type, kw in zip(layer_types, kwargs):
        if layer_type == "dummy":
            continue
        window = kw.get("sliding_window")
        tokens += min(seq_len, window) if window else seq_len
    return int(2 * tokens * kv_heads * head_dim * batch_size * width)


def _positive(value: Any, what: str, zero_ok: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value or value < (0 if zero_ok else 1):
        raise BadInputError(f"{what} must be a whole number {'≥ 0' if zero_ok else '≥ 1'}, got {value!r}.")
    return int(value)


def estimate_memory(
    model: Any,
    dtype: Any = "bfloat16",
    *,
    double_quant: bool = False,
    seq_len: int = 0,
    batch_size: int = 1,
    compute_dtype: Any = "bfloat16",
) -> MemoryEstimate:
    """The memory a model really takes in ``dtype``: weights, quantization state and KV cache.

    Part 8 teaches this (Part 3 uses it for a module, Part 9 to plan the app). ``model`` is a
    parameter count, a transformers config, an nn.Module, a local folder with config.json, or
    a Hub id (config.json only: from the Hub online, from the cache offline; no weights).
    For int8/nf4/fp4 the layers transformers would quantize are quantized and the rest (embeddings,
    norms, biases, output head) is counted in ``compute_dtype``, the 16-bit dtype the model is
    loaded in (bfloat16 where the GPU has it natively, float16 on a T4: same size).
    ``double_quant`` is bitsandbytes' ``bnb_4bit_use_double_quant``. ``seq_len`` tokens of KV
    cache for ``batch_size`` sequences are added, in the float dtype (compute_dtype when quantized).
    With a bare parameter count every weight is assumed quantized, so the 4-bit figure is a lower bound.
    """
    name = _dtype_name(dtype)
    compute = _dtype_name(compute_dtype)
    if compute in QUANTIZED:
        raise BadInputError(f"compute_dtype must be a float dtype (bfloat16, float16 or float32), got {compute_dtype!r}.")
    seq_len, batch_size = _positive(seq_len, "seq_len", zero_ok=True), _positive(batch_size, "batch_size")
    load = compute if name in QUANTIZED else name  # dtype of everything left unquantized
    label, thing = _resolve(model)
    notes: list[str] = []

    if isinstance(thing, int):
        per = _per_param_quantized(name, double_quant) if name in QUANTIZED else _WIDTH[name]
        kv = 0
        if seq_len:
            notes.append("A parameter count says nothing about layers and heads: KV cache not included.")
        if name in QUANTIZED:
            notes.append("Only a parameter count: every weight assumed quantized. Embeddings and head stay 16-bit, so pass a config for the real figure.")
        weights = int(thing * per)
        quantized = (thing, weights) if name in QUANTIZED else (0, 0)  # all of it, by assumption
        return MemoryEstimate(label, thing, name, weights, kv, quantized_params=quantized[0],
                              quantized_bytes=quantized[1], compute_dtype=compute, double_quant=double_quant,
                              seq_len=seq_len, batch_size=batch_size, exact=False, notes=notes)

    if hasattr(thing, "model_type"):  # a config
        meta = _meta_model(thing, _torch_dtype(load))
        config = thing
    else:  # a plain module: copy to meta and cast the way .to(dtype) would
        meta = _meta_copy(thing).to(_torch_dtype(load))
        config = None
    counts = _tally(meta, name, double_quant, _torch_dtype(compute))
    kv = kv_cache_bytes(config, seq_len, batch_size, load) if (seq_len and config is not None) else 0
    if seq_len and config is None:
        notes.append("A plain nn.Module has no KV cache layout: KV cache not included.")
    return MemoryEstimate(
        label, counts["params"], name, counts["quantized_bytes"] + counts["kept_bytes"], kv,
        quantized_params=counts["quantized_params"], quantized_bytes=counts["quantized_bytes"],
        kept_params=counts["kept_params"], kept_bytes=counts["kept_bytes"], compute_dtype=compute,
        double_quant=double_quant, seq_len=seq_len, batch_size=batch_size, notes=notes,
    )


# ---------------------------------------------------------------------------------------------
# Will it fit on a GPU, and which lever makes it fit?


def _gpu_bytes(gpu: Any) -> tuple[str, int]:
    """(label, usable bytes) for a card name from GPUS, a GPU, or a number of GiB."""
    if isinstance(gpu, (int, float)) and not isinstance(gpu, bool):
        if not math.isfinite(gpu) or gpu <= 0:
            raise BadInputError(f"GPU memory must be a positive number of GiB, got {gpu!r}.")
        return f"{gpu:g} GiB", int(gpu * GIB)
    card = find_gpu(gpu)
    return card.name, card.usable_bytes


def needed_bytes(estimate: MemoryEstimate) -> int:
    """Weights + KV cache + the stated allowance (CUDA context, activations) that ``fits`` uses."""
    return int(estimate.total_bytes + ACTIVATION_OVERHEAD * estimate.weights_bytes + CUDA_CONTEXT_BYTES)


def fits(model: Any, gpu: Any = "T4", dtype: Any = "bfloat16", **kw: Any) -> bool:
    """True if ``model`` in ``dtype`` fits on ``gpu`` (a name from GPUS or a number of GiB).

    Part 8 teaches this. Adds to ``estimate_memory``'s total the allowance in
    ``CUDA_CONTEXT_BYTES`` and ``ACTIVATION_OVERHEAD`` (see the comment beside them). ``model``
    may also be a MemoryEstimate; other keywords go to ``estimate_memory``.
    """
    _, have = _gpu_bytes(gpu)
    estimate = model if isinstance(model, MemoryEstimate) else estimate_memory(model, dtype, **kw)
    return needed_bytes(estimate) <= have


@dataclass
class Lever:
    """One step of the out-of-memory fix order, with its figure and whether it fits."""

    name: str
    fits: bool
    dtype: str | None = None
    needed_bytes: int | None = None
    estimate: MemoryEstimate | None = None
    advice: str = ""


@dataclass
class Plan:
    """The levers in the order Part 8 teaches them; ``choice`` is the first that fits, or None."""

    model: str
    gpu: str
    usable_bytes: int
    levers: list[Lever]

    @property
    def choice(self) -> Lever | None:
        return next((lv for lv in self.levers if lv.estimate is not None and lv.fits), None)

    def _rows(self) -> list[tuple[str, str, str]]:
        rows = []
        for lv in self.levers:
            figure = _gib(lv.needed_bytes) if lv.needed_bytes is not None else ""
            verdict = ("fits" if lv.fits else "too big") if lv.estimate is not None else ""
            rows.append((f"{lv.name} ({lv.dtype})" if lv.dtype else lv.name, figure, verdict + (f"  {lv.advice}" if lv.advice else "")))
        return rows

    def _summary(self) -> str:
        c = self.choice
        if c is None:
            return f"{self.model} does not fit on {self.gpu} in any precision: use a smaller model or a bigger GPU."
        return f"{self.model} on {self.gpu}: use {c.name} ({c.dtype}), {_gib(c.needed_bytes)} of {_gib(self.usable_bytes)}."

    def __str__(self) -> str:
        lines = [f"{self.model} on {self.gpu} ({_gib(self.usable_bytes)} usable; needed = weights + KV cache + allowance)"]
        width = max(len(name) for name, _, _ in self._rows())
        lines += [f"  {i}. {name:<{width}}  {fig:>10}  {v}" for i, (name, fig, v) in enumerate(self._rows(), 1)]
        return "\n".join(lines + [self._summary()])

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{i}</td><td style='text-align:left'>{html.escape(n)}</td><td>{html.escape(f)}</td>"
            f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
            for i, (n, f, v) in enumerate(self._rows(), 1)
        )
        head = f"<b>{html.escape(self.model)} on {html.escape(self.gpu)}</b> ({_gib(self.usable_bytes)} usable)"
        return f"{head}<table><tr><th>#</th><th>lever</th><th>needs</th><th></th></tr>{rows}</table><p>{html.escape(self._summary())}</p>"


def plan(model: Any, gpu: Any = "T4", *, seq_len: int = 0, batch_size: int = 1) -> Plan:
    """Walk the out-of-memory fix order for ``model`` on ``gpu`` and say which lever fits first.

    Part 8 teaches this order: half precision (bf16, or fp16 on a card without native bf16),
    then 8-bit, then 4-bit; if none fits, a smaller model (the largest size that would fit in
    4-bit) or a bigger GPU (the smallest card in GPUS where it fits).
    """
    gpu_label, have = _gpu_bytes(gpu)
    half = "float16" if not isinstance(gpu, (int, float)) and not find_gpu(gpu).bf16_native else "bfloat16"
    label, thing = _resolve(model)  # resolve once (a Hub lookup), then estimate from the result
    kw = dict(seq_len=seq_len, batch_size=batch_size, compute_dtype=half)
    levers = []
    for name, dtype in [("half precision", half), ("8-bit", "int8"), ("4-bit", "nf4")]:
        est = estimate_memory(thing, dtype, **kw)
        est.model = label
        levers.append(Lever(name, needed_bytes(est) <= have, dtype, needed_bytes(est), est))
    # a smaller model: the largest parameter count whose 4-bit weights (+allowance) would fit
    per_param = _per_param_quantized("nf4", False) * (1 + ACTIVATION_OVERHEAD)
    largest = max(0, int((have - CUDA_CONTEXT_BYTES - levers[0].estimate.kv_cache_bytes) / per_param))
    levers.append(Lever("smaller model", largest > 0, advice=f"up to about {_count(largest)} parameters in 4-bit (fewer: embeddings stay 16-bit)"))
    bigger = None
    cards = sorted((g for g in GPUS.values() if g.usable_bytes > have), key=lambda g: g.usable_bytes)
    for lever in levers[:3] if not levers[0].fits else []:  # the least squeezing first: half precision on a bigger card beats 4-bit
        card = next((g for g in cards if lever.needed_bytes <= g.usable_bytes), None)
        if card is not None:
            bigger = f"{card.name} ({card.usable_gib:g} GiB usable) with {lever.name}"
            break
    if levers[0].fits:
        bigger = "not needed: it fits in half precision here"
    levers.append(Lever("bigger GPU", bigger is not None, advice=bigger or "no card in cu.GPUS is big enough: split it across GPUs or use a hosted API"))
    return Plan(label, gpu_label, have, levers)
