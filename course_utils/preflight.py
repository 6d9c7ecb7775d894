"""Everything load_model checks before a download: where the files are, their format, the
packages, the license, the Auto class, and whether the model fits the memory this runtime has.
"""

from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import validate
from ._display import fmt_bytes
from .dtypes import float_name
from .errors import (
    BadInputError,
    CourseError,
    MissingPackageError,
    ModelNotFoundError,
    OfflineError,
    UnsafeCheckpointError,
    WontFitError,
)
from .hub import cached_snapshot, hub_error, local_folder, offline
from .levers import needed_bytes, plan
from .licenses import license_info
from .memory import estimate_memory
from .validate import AUTO_CLASSES, read_json, safetensors_header

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")
# the safetensors names from_pretrained reads: model.safetensors, its shards and index, variants
WEIGHTS_SAFETENSORS = re.compile(
    r"model(\.[\w-]+)?(-\d+-of-\d+)?\.safetensors(\.index\.json)?|model\.safetensors\.index\.[\w-]+\.json"
)


@dataclass
class ModelFiles:
    """A model's files and config, found without downloading its weights."""

    name: str  # what from_pretrained gets: the folder or the Hub id
    files: list[str]  # file names in the folder / snapshot / repo
    folder: Path | None  # local folder or cached snapshot, when there is one
    config: dict[str, Any]
    origin: str  # "in the folder", "in the cache", "on the Hub": where the file list came from

    @property
    def target(self) -> str:
        """The folder when there is one (memory estimates read it), else the Hub id."""
        return str(self.folder) if self.folder is not None else self.name


def _listing(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _in_folder(folder: Path) -> ModelFiles:
    files = _listing(folder)
    if "config.json" not in files:
        what = "is empty" if not files else "has no config.json"
        raise ModelNotFoundError(
            f"The folder {folder} {what}, so there is no model to load. Point at the folder "
            "you saved with model.save_pretrained(...), or use a Hub id such as "
            "'HuggingFaceTB/SmolLM2-135M-Instruct'."
        )
    config = read_json(folder / "config.json")
    return ModelFiles(str(folder), files, folder, config, "in the folder")


def _on_hub(model_id: str) -> ModelFiles | BaseException:
    """The repo's file list and config from the Hub, or the exception that stopped it."""
    from huggingface_hub import HfApi, hf_hub_download

    try:
        files = HfApi().list_repo_files(model_id)
        config = read_json(hf_hub_download(model_id, "config.json"))
    except CourseError:  # a broken config.json: its own answer
        raise
    except Exception as exc:  # no network, or a refusal: the caller decides
        return exc
    return ModelFiles(model_id, files, cached_snapshot(model_id), config, "on the Hub")


def locate(model: str | os.PathLike) -> ModelFiles:
    """Find the model's files and config: in its folder, on the Hub, or offline in the cache."""
    folder = local_folder(model)
    if folder is not None:
        return _in_folder(folder)
    model_id, failure = str(model), None
    if not offline():
        found = _on_hub(model_id)
        if isinstance(found, ModelFiles):
            return found
        failure, error = found, hub_error(model_id, found)
        if not isinstance(error, OfflineError):  # a refusal or no such model: no cache helps
            raise error from None
    snapshot = cached_snapshot(model_id)
    if snapshot is None or not (snapshot / "config.json").is_file():
        raise hub_error(model_id, failure)
    config = read_json(snapshot / "config.json")
    return ModelFiles(model_id, _listing(snapshot), snapshot, config, "in the cache")


def check_weights_format(src: ModelFiles, allow_pickle: bool) -> bool:
    """True for safetensors; False when only pickle files exist and the caller allowed them.
    A safetensors file already here that is empty, truncated or random: BadInputError naming it."""
    if any(WEIGHTS_SAFETENSORS.fullmatch(f) for f in src.files):
        for f in src.files if src.folder is not None else []:
            if f.endswith(".safetensors") and (src.folder / f).is_file():
                safetensors_header(src.folder / f)
        return True
    # a .safetensors file under another name (an adapter, a stray copy) is not what
    # from_pretrained reads: it looks for model.safetensors (or its index)
    stray = [f for f in src.files if f.endswith(".safetensors")]
    besides = f" (the safetensors file {stray[0]} here is not the model's: transformers reads " \
              "model.safetensors)" if stray else ""  # fmt: skip
    pickles = [f for f in src.files if f.endswith(PICKLE_SUFFIXES)]
    if pickles and allow_pickle:
        return False
    if pickles:
        raise UnsafeCheckpointError(
            f"{src.name} offers its weights only as pickle files ({', '.join(pickles[:3])})"
            f"{besides}. Loading a pickle can run any code its author put in it. Look for a "
            "safetensors version of this model on the Hub, or, if you trust the authors, pass "
            "allow_pickle=True."
        )
    raise ModelNotFoundError(
        f"No weight files for {src.name} {src.origin} (only {', '.join(src.files[:4])})"
        f"{besides}. Offline, load it once on a connected runtime so its weights are cached; a "
        "folder needs the files model.save_pretrained(...) writes (model.safetensors)."
    )


def check_packages(quantize: str | None, device_map: Any) -> None:
    """MissingPackageError with the install line when bitsandbytes or accelerate is needed."""
    needed = ["bitsandbytes"] if quantize else []
    if quantize or device_map is not None:
        needed.append("accelerate")
    missing = [p for p in needed if importlib.util.find_spec(p) is None]
    if missing:
        raise MissingPackageError(
            f"This load needs {' and '.join(missing)}. Install with "
            f"`%pip install -q {' '.join(missing)}`, then restart the runtime and run again."
        )


def auto_dtype(quantize: str | None) -> str:
    """The dtype gpu_report advises: float16 on a T4, bfloat16 on newer GPUs, float32 on a CPU.

    8-bit always gets float16 (bitsandbytes' int8 matmuls take float16 inputs, so nothing is
    cast, and nothing warns, on every call). 4-bit keeps its unquantized parts and computes in
    16 bits: on a CPU that is bfloat16, the fastest 4-bit setting there.
    """
    if quantize == "int8":
        return "float16"
    from .gpu import gpu_report

    advised = float_name(gpu_report().recommended_dtype)
    return "bfloat16" if quantize == "nf4" and advised == "float32" else advised


def license_text(model: str | os.PathLike) -> str:
    """The license in one line for the preflight report ("unknown" when no card is found)."""
    try:
        lic = license_info(model)
    except CourseError:
        return "unknown (no model card found)"
    return f"{lic.license or 'none stated'} ({lic.category})" + (", gated" if lic.gated else "")


def _free_bytes() -> tuple[int, str]:
    """(bytes free, where) on the device the model will go to."""
    import torch

    if torch.cuda.is_available():
        free, _total = torch.cuda.mem_get_info()
        return free, f"GPU {torch.cuda.get_device_name()}"
    import psutil

    return psutil.virtual_memory().available, "CPU RAM"


def _wont_fit(target: str, need: int, precision: str, free: int, where: str) -> WontFitError:
    advice = ""
    try:
        advice = f"\n{plan(target, gpu=free / 2**30)}"
    except Exception:  # the plan is a bonus; the error below stands without it
        pass
    return WontFitError(
        f"{target} needs about {fmt_bytes(need)} in {precision}, but only {fmt_bytes(free)} of "
        f"{where} is free. Levers, in order: half precision, quantize='8bit', "
        f"quantize='4bit', then a smaller model or a bigger GPU.{advice}\n"
        "To let device_map='auto' spill onto the CPU anyway (slow), pass check_memory=False."
    )


def check_memory(
    target: str, dtype: str, quantize: str | None, double_quant: bool
) -> tuple[int | None, str | None]:
    """(estimated bytes of the weights, or None with the note why not); WontFitError with the
    plan when they will not fit."""
    try:
        estimate = estimate_memory(target, dtype=quantize or dtype, double_quant=double_quant,
                                   compute_dtype=dtype)  # fmt: skip
    except CourseError as exc:
        return None, f"memory check skipped: {exc}"
    free, where = _free_bytes()
    # on a GPU plus the CUDA context and activations, as levers.fits counts
    need = needed_bytes(estimate) if where.startswith("GPU") else int(estimate.total_bytes)
    if need > free:
        raise _wont_fit(target, need, quantize or dtype, free, where)
    return int(estimate.total_bytes), None


def _served(archs: list[str]) -> dict[str, str]:
    """{task: Auto class} for every task whose head the checkpoint's architecture has."""
    from transformers.models.auto import modeling_auto

    served = {}
    for tasks, cls, table in AUTO_CLASSES:
        names = getattr(modeling_auto, table).values()
        flat = {n for v in names for n in ((v,) if isinstance(v, str) else v)}
        if cls == "AutoModel" or any(a in flat for a in archs):  # any checkpoint has a body
            served.update({t: cls for t in tasks if t not in served})
    return served


def check_code(config: dict[str, Any], name: str) -> None:
    """Refuse up front a model that only runs with its repository's own code (auto_map)."""
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES

    if config.get("auto_map") and config.get("model_type") not in CONFIG_MAPPING_NAMES:
        raise BadInputError(
            f"{name} needs code from its own repository (its config.json has auto_map, and "
            f"transformers does not know model_type {config.get('model_type')!r}). That code "
            "would run on your machine with your permissions, so load_model never runs it. "
            "Pick a model transformers supports natively, or read the code and load it yourself."
        )


def auto_class(config: dict[str, Any], task: str | None, name: str = "This model") -> str:
    """The Auto class for a task, or for the architecture the config names. BadInputError when
    the checkpoint has no trained head for the task (transformers would add a random one)."""
    archs = [a for a in config.get("architectures") or [] if isinstance(a, str)]
    check_code(config, name)
    served = _served(archs)
    if task is None:
        order = [cls for _tasks, cls, _ in AUTO_CLASSES if cls != "AutoModel"]
        return next((c for c in order if c in served.values()), "AutoModel")
    if not archs:  # nothing to judge by: the task's class
        return next(cls for tasks, cls, _ in AUTO_CLASSES if task in tasks)
    if task not in served:
        raise BadInputError(
            f"{name} is a {archs[0]}: it has no trained head for {task!r}, so transformers "
            "would add a randomly initialised one and answer with confident nonsense. It "
            f"serves: {', '.join(sorted(served))}. Pick one of those, or a model trained for "
            f"{task!r} (filter the Hub by that task)."
        )
    return served[task]


# keywords load_model passes on to from_pretrained; anything else is refused by name
PASSED_ON = (
    "revision", "attn_implementation", "low_cpu_mem_usage", "max_memory", "offload_folder",
    "subfolder", "cache_dir", "local_files_only", "force_download", "num_labels", "id2label",
    "label2id", "ignore_mismatched_sizes", "problem_type", "output_attentions",
    "output_hidden_states", "use_cache", "token",
)  # fmt: skip


def check_arguments(
    model: Any, quantize: Any, dtype: Any, device_map: Any, kwargs: dict[str, Any]
) -> Any:
    """load_model's arguments checked at the door; returns the dtype (``torch_dtype=`` mapped
    onto ``dtype``). Refuses unknown keywords by name, so none reaches the model class."""
    validate.model_ref(model)
    if quantize is not None and not isinstance(quantize, str):
        raise BadInputError(f"quantize takes one value, None, '8bit' or '4bit', not {quantize!r}.")
    if "torch_dtype" in kwargs:
        old = kwargs.pop("torch_dtype")
        if dtype != "auto" and validate.dtype(dtype) != validate.dtype(old):
            raise BadInputError(
                f"dtype={dtype!r} and torch_dtype={old!r} disagree: pass dtype only."
            )
        dtype = old  # transformers renamed torch_dtype to dtype; both mean the same here
    unknown = sorted(k for k in kwargs if k not in PASSED_ON and k != "trust_remote_code")
    if unknown:
        raise BadInputError(
            f"load_model does not know {', '.join(map(repr, unknown))}. It takes quantize, "
            "dtype, device_map, task, double_quant, allow_pickle, check_memory, verbose, plan, and "
            f"passes on only {', '.join(PASSED_ON)}."
        )
    validate.device_map(device_map)
    return dtype
