"""Loading models with checks first.

``load_model`` looks before it downloads (preflight.py): the packages a quantized load needs,
whether the weights come as safetensors (pickle files can run code), the license, and whether
the model fits in the memory this runtime has. Then it loads with transformers and reports what
the model really holds (footprint.py), where each part was placed and how long it took. torch
and transformers are imported inside the functions, so ``import course_utils`` stays cheap.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import preflight
from ._display import fmt_bytes
from .dtypes import LOAD_QUANTIZE, float_name, label, torch_dtype
from .errors import BadInputError
from .footprint import LOADED_MODELS, bytes_in_memory, held_bytes, next_lever, oom_guard
from .levers import planned_load
from .loaded import Loaded, LoadReport
from .validate import TASKS

_PROCESSOR_FILES = ("processor_config.json", "preprocessor_config.json")
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json",
                    "tokenizer.model", "spiece.model")  # fmt: skip


def _quantization(quantize: str | None, double_quant: bool) -> str | None:
    """The canonical quantized name (int8, nf4) of load_model's ``quantize``, checked."""
    if quantize is not None and quantize not in LOAD_QUANTIZE:
        raise BadInputError(
            f"quantize={quantize!r} is not one of None, '8bit' or '4bit'. 4-bit is NF4 "
            "(add double_quant=True for a little less memory)."
        )
    name = LOAD_QUANTIZE.get(quantize)
    if double_quant and name != "nf4":
        raise BadInputError("double_quant=True applies to quantize='4bit' only.")
    return name


def _check_task_and_code(task: str | None, kwargs: dict[str, Any]) -> None:
    if kwargs.pop("trust_remote_code", False):
        raise BadInputError(
            "load_model never runs a repository's own code (trust_remote_code); "
            "use a model that transformers supports natively."
        )
    if task is not None and task not in TASKS:
        raise BadInputError(f"task {task!r} is not one load_model knows: {', '.join(TASKS)}.")


@dataclass
class _Checked:
    """What preflight found, all before a download."""

    src: preflight.ModelFiles
    dtype: str  # the float dtype to load (and, when quantized, compute) in
    quantize: str | None  # int8, nf4 or None
    safetensors: bool
    auto_class: str
    license: str
    estimate: int | None
    notes: list[str]

    def say(self) -> None:
        need = f"~{fmt_bytes(self.estimate)}" if self.estimate else "not estimated"
        weights = "safetensors" if self.safetensors else "pickle"
        print(f"Preflight {self.src.name}: {weights} weights, license {self.license}, "
              f"memory {need}, loading with {self.auto_class}")  # fmt: skip
        for note in self.notes:
            print(f"  note: {note}")


def _preflight(model: Any, quantize: str | None, dtype: str, opts: dict[str, Any]) -> _Checked:
    """Every check load_model makes before it loads (``opts``: its keyword arguments)."""
    import torch

    src = preflight.locate(model)
    preflight.check_packages(quantize, opts["device_map"])
    notes = []
    if quantize == "int8" and dtype != "float16":
        notes.append(
            "8-bit with a dtype other than float16 casts every matmul input (and warns each time)"
        )
    lic = preflight.license_text(model)
    if quantize and not torch.cuda.is_available():
        notes.append("no CUDA GPU: bitsandbytes runs this quantized model on the CPU, slowly "
                     "(on Colab, switch to a T4 runtime)")  # fmt: skip
    estimate = None
    if opts["check_memory"]:
        estimate, skipped = preflight.check_memory(
            src.target, dtype, quantize, opts["double_quant"]
        )
        notes += [skipped] if skipped else []
    safetensors = preflight.check_weights_format(src, opts["allow_pickle"])
    if not safetensors:
        notes.append("loaded from a pickle checkpoint because allow_pickle=True")
    auto_name = preflight.auto_class(src.config, opts["task"], src.name)
    return _Checked(src, dtype, quantize, safetensors, auto_name, lic, estimate, notes)


def _load_kwargs(checked: _Checked, device_map: Any, double_quant: bool, extra: dict) -> dict:
    """The arguments from_pretrained gets: dtype, safetensors, placement, quantization config."""
    import transformers

    dtype = torch_dtype(checked.dtype)
    kwargs: dict[str, Any] = dict(dtype=dtype, use_safetensors=checked.safetensors,
                                  trust_remote_code=False, **extra)  # fmt: skip
    if device_map is not None:
        kwargs["device_map"] = device_map
    if checked.src.origin == "in the cache":  # the Hub did not answer: no request, no retries
        kwargs["local_files_only"] = True
    if checked.quantize == "nf4":
        kwargs["quantization_config"] = transformers.BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=dtype,
            bnb_4bit_use_double_quant=double_quant)  # fmt: skip
    elif checked.quantize == "int8":
        kwargs["quantization_config"] = transformers.BitsAndBytesConfig(load_in_8bit=True)
    return kwargs


def _load_preprocessor(src: preflight.ModelFiles) -> Any:
    """AutoProcessor for image/audio models, AutoTokenizer for text, None when there is neither."""
    import transformers

    names = {Path(f).name for f in src.files}
    cached = {"local_files_only": True} if src.origin == "in the cache" else {}
    if names & set(_PROCESSOR_FILES):
        return transformers.AutoProcessor.from_pretrained(src.name, **cached)
    if names & set(_TOKENIZER_FILES):
        return transformers.AutoTokenizer.from_pretrained(src.name, **cached)
    return None


def _device_map_summary(model: Any) -> dict[str, int] | None:
    dmap = getattr(model, "hf_device_map", None)
    if not dmap:
        return None
    counts: dict[str, int] = {}
    for device in dmap.values():
        name = f"cuda:{device}" if isinstance(device, int) else str(device)
        counts[name] = counts.get(name, 0) + 1
    return counts


def _load(checked: _Checked, load_kwargs: dict[str, Any], double_quant: bool) -> Loaded:
    import transformers

    start = time.perf_counter()
    with oom_guard("loading", next_lever(checked.dtype, checked.quantize)):
        cls = getattr(transformers, checked.auto_class)
        model = cls.from_pretrained(checked.src.name, **load_kwargs)
    model.eval()
    preprocessor = _load_preprocessor(checked.src)
    seconds = time.perf_counter() - start
    LOADED_MODELS.add(model)
    quantization = label(checked.quantize, double_quant) if checked.quantize else None
    report = LoadReport(
        model=checked.src.name, auto_class=checked.auto_class, dtype=checked.dtype,
        quantization=quantization, bytes_held=bytes_in_memory(model),
        placement=held_bytes(model), device_map=_device_map_summary(model), load_seconds=seconds,
        estimate_bytes=checked.estimate, license=checked.license, notes=checked.notes,
    )  # fmt: skip
    return Loaded(model, preprocessor, report)


def load_model(
    model: str | os.PathLike,
    *,
    quantize: str | None = None,
    dtype: Any = "auto",
    device_map: Any = "auto",
    task: str | None = None,
    double_quant: bool = False,
    allow_pickle: bool = False,
    check_memory: bool = True,
    verbose: bool = True,
    plan: Any = None,
    **kwargs: Any,
) -> Loaded:
    """Load a model and its tokenizer or processor after checking it can and should be.

    Parts 8 and 9 use it. quantize: None, "8bit" or "4bit" (NF4, ``double_quant`` optional)
    through bitsandbytes. dtype "auto" follows gpu_report's advice. Pickle checkpoints need
    allow_pickle=True; remote code is never run. ``plan=cu.plan(model, gpu)`` loads exactly
    ``plan.choice.load_kwargs`` (levers.planned_load) and reports bytes held against the plan's
    prediction. Returns a Loaded that unpacks as (model, tokenizer) and has .report.
    """
    dtype = preflight.check_arguments(model, quantize, dtype, device_map, kwargs)
    planned = None
    if plan is not None:  # the plan's lever sets precision and placement and did the memory check
        planned = planned_load(plan, model, quantize, dtype, double_quant, device_map)
        quantize, dtype, double_quant, check_memory = planned.arguments
    quantized = _quantization(quantize, double_quant)
    _check_task_and_code(task, kwargs)
    load_dtype = preflight.auto_dtype(quantized) if dtype == "auto" else float_name(dtype)
    opts = dict(device_map=device_map, task=task, double_quant=double_quant,
                allow_pickle=allow_pickle, check_memory=check_memory)  # fmt: skip
    checked = _preflight(model, quantized, load_dtype, opts)
    if planned is not None:  # the plan's prediction stands in for preflight's estimate
        checked.estimate = planned.lever.estimate.weights_bytes
        checked.notes.append(planned.note())
    if verbose:
        checked.say()
    load_kwargs = _load_kwargs(checked, device_map, double_quant, kwargs)
    if planned is not None:
        load_kwargs = planned.from_pretrained(load_kwargs)
    return _load(checked, load_kwargs, double_quant)


def _pipeline_parts(pre: Any) -> dict[str, Any]:
    """The tokenizer / feature_extractor / image_processor / processor arguments of pipeline()."""
    import transformers

    if isinstance(pre, transformers.ProcessorMixin):
        names = ("tokenizer", "feature_extractor", "image_processor")
        parts = {n: getattr(pre, n) for n in names if getattr(pre, n, None) is not None}
        return {**parts, "processor": pre}
    if isinstance(pre, transformers.PreTrainedTokenizerBase):
        return {"tokenizer": pre}
    if pre is not None and hasattr(pre, "model_input_names"):
        kind = "image_processor" if "pixel_values" in pre.model_input_names else "feature_extractor"
        return {kind: pre}
    return {}


def load_pipeline(
    task: str,
    model: str | os.PathLike,
    *,
    quantize: str | None = None,
    dtype: Any = "auto",
    device_map: Any = "auto",
    **kwargs: Any,
) -> Any:
    """A transformers pipeline built on load_model's checks; its LoadReport is ``pipe.report``.

    Part 9 uses it.
    """
    import transformers

    load_keys = {"double_quant", "allow_pickle", "check_memory", "verbose"}
    loaded = load_model(
        model,
        quantize=quantize,
        dtype=dtype,
        device_map=device_map,
        task=task,
        **{k: kwargs.pop(k) for k in list(kwargs) if k in load_keys},
    )
    pipe = transformers.pipeline(
        task, model=loaded.model, **_pipeline_parts(loaded.tokenizer), **kwargs
    )
    pipe.report = loaded.report
    return pipe
