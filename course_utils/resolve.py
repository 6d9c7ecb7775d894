"""What a learner may pass as "a model" to the memory helpers, turned into what can be counted.

``resolve_model`` accepts a parameter count (``7e9``, ``"7B"``), a transformers config or its
dict, a model, a plain ``nn.Module``, a local folder or ``config.json``, or a Hub id, and returns
a :class:`Resolved`: a label to show and the ``basis`` the figure is computed from. Hub ids are
read as config.json only (no weights); Hub failures become course errors in hub.hub_error.
"""

from __future__ import annotations

import os
import re
from typing import Any, NamedTuple

from ._display import fmt_count
from .counts import ParamCount, with_experts
from .errors import BadInputError, GatedModelError, ModelNotFoundError, NotLoggedInError
from .hub import TIMEOUT_S, hub_error, offline
from .validate import config_sizes, number, read_json


class Resolved(NamedTuple):
    """A label for the model, and ``basis``: an int parameter count, a config or an nn.Module."""

    label: str
    basis: Any


_SCALE = {"": 1, "k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}


def _parse_count(text: str) -> int | None:
    """'7B', '0.5b', '135M', '7e9', '7,000,000' -> an int; None if it is not a count.
    BadInputError for one too big to be a model ('1e400')."""
    m = re.fullmatch(r"\s*([0-9][0-9_,]*\.?[0-9]*(?:e[0-9]+)?)\s*([kmbt]?)\s*", text.lower())
    if not m:
        return None
    digits = m.group(1).replace(",", "").replace("_", "")
    value = number(digits, "A parameter count", integer=False)  # "1e400": not finite
    if not m.group(2) and not value.is_integer():  # "1.5": 1.5 parameters is no model
        raise BadInputError(
            f"{text.strip()!r} is not a whole number of parameters. For {value:g} billion write "
            f"'{value:g}B' (or {value:g}e9); 'M' is millions."
        )
    return int(round(value * _SCALE[m.group(2)]))


def _version(pkg: str) -> str:
    from importlib.metadata import version

    return version(pkg)


def config_from_dict(data: dict, where: str) -> Any:
    """A transformers config built from a config.json's contents (``where`` names the source)."""
    from transformers import AutoConfig

    if not isinstance(data, dict) or "model_type" not in data:
        raise BadInputError(
            f"{where} has no 'model_type', so transformers cannot read it as a model config."
        )
    from huggingface_hub.errors import StrictDataclassError
    from transformers import PreTrainedConfig

    data = PreTrainedConfig._decode_special_floats(data)  # {"__float__": "Infinity"}, as saved
    config_sizes(data, where)
    try:
        config = AutoConfig.for_model(**data)
    except StrictDataclassError as e:  # a field of the wrong type that config_sizes does not know
        raise BadInputError(
            f"{where} has a setting transformers refuses: {str(e).splitlines()[-1]}. Fix it "
            "there, or use the model's own config.json."
        ) from None
    except (ValueError, KeyError) as e:
        raise BadInputError(
            f"transformers {_version('transformers')} does not know model_type "
            f"{data['model_type']!r} ({where}). Pass the parameter count instead, e.g. "
            "estimate_memory(7e9, ...)."
        ) from e
    _require_sizes(config, data, where)
    return config


# Without these, transformers fills in its defaults and a 0.5B model is counted as 3B (issue 15).
_SIZES = ("hidden_size", "num_hidden_layers")


def _require_sizes(config: Any, data: dict, where: str) -> None:
    """BadInputError when a one-model config leaves out a size the count needs."""
    if getattr(config, "sub_configs", None):  # composite (vision + text ...): sizes live inside
        return
    aliases = getattr(config, "attribute_map", {}) or {}
    derived = [k for k in _SIZES if isinstance(getattr(type(config), k, None), property)]
    missing = [
        k
        for k in _SIZES
        if hasattr(config, k)
        and k not in data
        and aliases.get(k) not in data
        and k not in derived  # ProphetNet: num_hidden_layers counts num_decoder_layers
    ]
    if missing:
        raise BadInputError(
            f"{where} has no {' or '.join(repr(m) for m in missing)}: transformers would fill in "
            "its defaults and the count would be another model's. Use the model's full "
            "config.json, or pass its parameter count, e.g. estimate_memory(5e8, ...)."
        )


def config_file(path: str, data: dict | None = None) -> Any:
    """The transformers config in a config.json file (truncated, binary or not an object:
    BadInputError naming the file and what to do); ``data``: its dict, when already read."""
    data = read_json(path, "The config") if data is None else data
    config = config_from_dict(data, path)
    if data.get("quantization_config"):
        # saved quantized: its size is read from the safetensors files beside it (prequant.py)
        config.name_or_path = os.path.dirname(os.path.abspath(path))
    return config


def hub_config_json(repo_id: str) -> tuple[str, dict]:
    """A Hub model's config.json, read once: its path in the cache and its dict (online from the
    Hub, offline from the cache)."""
    from huggingface_hub import hf_hub_download

    offline()  # the client's time limits, and a malformed token refused before any request
    try:
        path = hf_hub_download(repo_id, "config.json")
    except Exception as exc:  # httpx network errors are not OSError: the translator sorts them
        raise hub_error(
            repo_id, exc, wanted="its config.json is", or_else="Or pass the parameter count."
        ) from exc
    return path, read_json(path, "The config")


def hub_config(repo_id: str, found: tuple[str, dict] | None = None) -> Any:
    """The config of a Hub model without its weights (``found``: its config.json, already read
    by ``hub_config_json``)."""
    path, data = found or hub_config_json(repo_id)
    config = config_file(path, data)
    if getattr(config, "quantization_config", None):
        config.name_or_path = repo_id  # its headers: from the cache, or the Hub online
    return config


def hub_param_count(repo_id: str, config: dict | None = None) -> ParamCount | None:
    """Exact parameter count from the safetensors headers (online only; None when unavailable).

    A gated repo's files need accepted terms, but the Hub's model info (the "Model size" on its
    page) is public, so that is the second source. The count says how much of it is
    mixture-of-experts weights where the header names or ``config`` (a config.json's dict)
    tell (counts.py).
    """
    from huggingface_hub import HfApi, get_safetensors_metadata

    if offline():
        return None
    try:
        meta = get_safetensors_metadata(repo_id)
        tensors = {k: v for f in meta.files_metadata.values() for k, v in f.tensors.items()}
        per_dtype = meta.parameter_count
        return with_experts(sum(per_dtype.values()), tensors, config, per_dtype)
    except Exception:  # no safetensors, gated, network: try the public model info
        pass
    try:
        info = HfApi().model_info(repo_id, expand=["safetensors"], timeout=TIMEOUT_S)
        st = info.safetensors
        return with_experts(int(st.total), None, config, st.parameters) if st else None
    except Exception:  # network: the caller says what it fell back to
        return None


def _from_number(model: int | float) -> Resolved:
    count = number(model, "A parameter count", minimum=1)  # finite, whole, 1 to 10**15
    return Resolved(f"{fmt_count(count)} parameters", count)


def _from_path(model: str) -> Resolved | None:
    """A folder with config.json or a config.json file; None when ``model`` is neither."""
    if os.path.isdir(model):
        path = os.path.join(model, "config.json")
        if not os.path.isfile(path):
            raise ModelNotFoundError(
                f"{model} has no config.json; a model folder needs one (save_pretrained writes it)."
            )
        return Resolved(os.path.basename(os.path.normpath(model)), config_file(path))
    if os.path.isfile(model) and model.endswith(".json"):
        return Resolved(os.path.basename(model).removesuffix(".json"), config_file(model))
    if os.path.isfile(model):  # a GGUF or weights file: no config to count from
        kind = "a GGUF file (llama.cpp's format)" if model.lower().endswith(".gguf") else "a file"
        raise BadInputError(
            f"{model} is {kind}, not a model folder or config.json. Pass the Hub id of the model "
            "it was made from, the folder with its config.json, or its parameter count "
            "(e.g. estimate_memory(7e9, 'nf4') for a 4-bit 7B GGUF: a rough figure)."
        )
    if (
        model.startswith((".", "/", "~"))
        or model.count("/") > 1
        or os.sep in model.replace("/", "")
    ):
        raise ModelNotFoundError(
            f"No folder {model!r} here. Give a model folder with a config.json or a Hub id like "
            "'Qwen/Qwen2.5-0.5B-Instruct'."
        )
    return None


def _from_hub(repo_id: str, count_ok: bool) -> Resolved:
    """The Hub config; where it cannot be read (gated, unknown architecture) the public count."""
    label = repo_id.split("/")[-1]
    found = None
    try:
        found = hub_config_json(repo_id)
        return Resolved(label, hub_config(repo_id, found))
    except (BadInputError, GatedModelError, NotLoggedInError):
        if not count_ok:  # the caller needs the layout (the KV cache): say why it is missing
            raise
        # a config transformers cannot build (unknown type) still tells where the experts are
        data = found[1] if found else None
        count = hub_param_count(repo_id, data)  # online: the count, public even when gated
        if count is None:
            raise
        return Resolved(label, count)


def _from_text(model: str, count_ok: bool) -> Resolved:
    count = _parse_count(model)
    if count is not None:
        return _from_number(count)
    return _from_path(model) or _from_hub(model, count_ok)


def _from_object(model: Any) -> Resolved | None:
    """A config dict, a transformers config, a transformers model or a plain nn.Module."""
    if isinstance(model, dict):
        label = model.get("_name_or_path") or model.get("model_type", "config")
        return Resolved(label, config_from_dict(model, "this dict"))
    if hasattr(model, "model_type") and hasattr(model, "to_dict"):  # a transformers config
        config_sizes(model.to_dict(), "This config")
        return Resolved(
            (getattr(model, "name_or_path", "") or model.model_type).split("/")[-1], model
        )
    if not hasattr(model, "named_parameters"):
        return None
    config = getattr(model, "config", None)
    if config is not None and hasattr(config, "model_type"):  # a transformers model: its config
        if getattr(config, "quantization_config", None) is not None:
            import copy  # a model is counted in the dtype asked for, not as its checkpoint stored

            config = copy.copy(config)
            del config.quantization_config
        name = getattr(config, "name_or_path", "") or type(model).__name__
        return Resolved(name.split("/")[-1], config)
    return Resolved(type(model).__name__, model)


def resolve_model(model: Any, count_ok: bool = True) -> Resolved:
    """What ``model`` is, as a label and the basis to count from (see the module docstring).

    ``count_ok=False`` is for callers that need the layout (the KV cache): a gated or unknown Hub
    model then raises its own error instead of falling back to the public parameter count.
    """
    if isinstance(model, bool):
        raise BadInputError(
            "Pass a model: a parameter count, a config, a module, a folder or a Hub id."
        )
    if isinstance(model, (int, float)):
        return _from_number(model)
    if isinstance(model, os.PathLike):
        model = os.fspath(model)
    resolved = _from_text(model, count_ok) if isinstance(model, str) else _from_object(model)
    if resolved is None:
        raise BadInputError(
            f"Cannot estimate the memory of a {type(model).__name__}. Pass a parameter count, a "
            "transformers config, a model (nn.Module), a local folder with config.json, or a "
            "Hub id."
        )
    return resolved
