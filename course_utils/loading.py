"""Loading models with checks first (parts 8 and 9).

`load_model` looks before it downloads: the packages a quantized load needs, whether the
weights come as safetensors (pickle files can run code), the license, and whether the model
fits in the memory this runtime has. Then it loads with transformers and reports what the
model really holds, where each part was placed and how long it took. torch and transformers
are imported inside the functions, so `import course_utils` stays cheap.
"""

from __future__ import annotations

import gc
import html
import importlib.util
import os
import time
import weakref
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from .errors import (
    BadInputError,
    CourseError,
    MissingPackageError,
    ModelNotFoundError,
    UnsafeCheckpointError,
    WontFitError,
)
from . import hub

QUANTIZE = {None: None, "8bit": "8bit", "int8": "8bit", "4bit": "4bit", "nf4": "4bit"}
_DTYPES = {"float32": "float32", "fp32": "float32", "float16": "float16", "fp16": "float16",
           "half": "float16", "bfloat16": "bfloat16", "bf16": "bfloat16"}
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")
_PROCESSOR_FILES = ("processor_config.json", "preprocessor_config.json")
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json",
                    "tokenizer.model", "spiece.model")

# (pipeline tasks, Auto class, the transformers table of architectures it loads)
AUTO_CLASSES = [
    (("text-generation",), "AutoModelForCausalLM", "MODEL_FOR_CAUSAL_LM_MAPPING_NAMES"),
    (("text-classification", "sentiment-analysis"), "AutoModelForSequenceClassification",
     "MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES"),
    (("token-classification", "ner"), "AutoModelForTokenClassification",
     "MODEL_FOR_TOKEN_CLASSIFICATION_MAPPING_NAMES"),
    (("fill-mask",), "AutoModelForMaskedLM", "MODEL_FOR_MASKED_LM_MAPPING_NAMES"),
    (("image-classification",), "AutoModelForImageClassification",
     "MODEL_FOR_IMAGE_CLASSIFICATION_MAPPING_NAMES"),
    (("automatic-speech-recognition",), "AutoModelForSpeechSeq2Seq",
     "MODEL_FOR_SPEECH_SEQ_2_SEQ_MAPPING_NAMES"),
    (("automatic-speech-recognition",), "AutoModelForCTC", "MODEL_FOR_CTC_MAPPING_NAMES"),
    (("feature-extraction", "sentence-similarity", "image-feature-extraction"), "AutoModel",
     "MODEL_MAPPING_NAMES"),
]
TASKS = sorted({t for tasks, _, _ in AUTO_CLASSES for t in tasks})

_LIVE: "weakref.WeakSet[Any]" = weakref.WeakSet()  # models load_model returned, for free_memory


# ---------------------------------------------------------------------------------------------
# What load_model returns
# ---------------------------------------------------------------------------------------------

def _fmt_bytes(n: float | None) -> str:
    if n is None:
        return "?"
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if abs(n) >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{int(n)} B"


@dataclass
class LoadReport:
    """What a load really cost: bytes held, placement, time, and the estimate made beforehand."""

    model: str
    auto_class: str
    dtype: str
    quantization: str | None
    bytes_held: int
    placement: dict[str, int]  # device -> bytes held there ("disk" for offloaded weights)
    device_map: dict[str, int] | None  # device -> number of modules, when accelerate placed it
    load_seconds: float
    estimate_bytes: int | None = None
    license: str = "unknown"
    notes: list[str] = field(default_factory=list)
    tokens_per_second: float | None = None  # filled in by Loaded.generate

    def _rows(self) -> list[tuple[str, str]]:
        est = ""
        if self.estimate_bytes:
            diff = (self.bytes_held - self.estimate_bytes) / self.estimate_bytes
            est = f" (estimate {_fmt_bytes(self.estimate_bytes)}, {diff:+.1%})"
        rows = [
            ("model", f"{self.model} via {self.auto_class}"),
            ("precision", f"{self.quantization} weights, {self.dtype} for the rest"
                          if self.quantization else self.dtype),
            ("bytes held", f"{self.bytes_held:,} B = {_fmt_bytes(self.bytes_held)}{est}"),
            ("placement", ", ".join(f"{d}: {_fmt_bytes(b)}" for d, b in self.placement.items())),
        ]
        if self.device_map:
            rows.append(("device map", ", ".join(f"{d}: {n} modules" for d, n in self.device_map.items())))
        rows += [("load time", f"{self.load_seconds:.1f} s"), ("license", self.license)]
        if self.tokens_per_second is not None:
            rows.append(("generation", f"{self.tokens_per_second:.1f} tokens/s"))
        rows += [("note", n) for n in self.notes]
        return rows

    def __str__(self) -> str:
        return "\n".join(f"{k:<11} {v}" for k, v in self._rows())

    def _repr_html_(self) -> str:
        cells = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
            f"<td style='text-align:left'>{html.escape(v)}</td></tr>" for k, v in self._rows()
        )
        return f"<table>{cells}</table>"


@dataclass
class Loaded:
    """A loaded model: unpack it as ``model, tok = cu.load_model(...)`` or look at ``.report``."""

    model: Any
    tokenizer: Any  # a tokenizer, a processor (images, audio), or None
    report: LoadReport

    def __iter__(self) -> Iterator[Any]:
        return iter((self.model, self.tokenizer))

    def __str__(self) -> str:
        return str(self.report)

    def __repr__(self) -> str:  # the dataclass default would print the whole module tree
        return f"Loaded({type(self.model).__name__}, {type(self.tokenizer).__name__})\n{self.report}"

    def _repr_html_(self) -> str:
        return self.report._repr_html_()

    def generate(self, prompt: str, max_new_tokens: int = 40, **kwargs: Any) -> str:
        """Answer one prompt with a causal LM (chat template when it has one, greedy by default).

        Records tokens/s in the report (the first call includes warm-up, so time a second one);
        CUDA out of memory becomes a WontFitError with the fix.
        """
        import torch

        tok = self.tokenizer
        if tok is None or not hasattr(tok, "decode"):
            raise BadInputError("generate() needs a text model with a tokenizer; this one has none.")
        if getattr(tok, "chat_template", None):
            ids = tok.apply_chat_template([{"role": "user", "content": prompt}],
                                          add_generation_prompt=True, return_tensors="pt",
                                          return_dict=True)
        else:
            ids = tok(prompt, return_tensors="pt")
        ids = {k: v.to(self.model.device) for k, v in ids.items()}
        kwargs.setdefault("do_sample", False)
        start = time.perf_counter()
        with oom_guard("generating", "ask for fewer max_new_tokens or a shorter prompt, "
                       "then call cu.free_memory() and try again"), torch.inference_mode():
            out = self.model.generate(**ids, max_new_tokens=max_new_tokens,
                                      pad_token_id=tok.pad_token_id if tok.pad_token_id is not None
                                      else tok.eos_token_id, **kwargs)
        new = out[0, ids["input_ids"].shape[1]:]
        self.report.tokens_per_second = len(new) / (time.perf_counter() - start)
        return tok.decode(new, skip_special_tokens=True)


# ---------------------------------------------------------------------------------------------
# Preflight: everything that can be checked before a download
# ---------------------------------------------------------------------------------------------

@dataclass
class _Source:
    name: str  # what from_pretrained gets: the folder or the Hub id
    files: list[str]  # file names in the folder / snapshot / repo
    folder: Path | None  # local folder or cached snapshot, when there is one
    config: dict[str, Any]
    origin: str  # "in the folder", "in the cache", "on the Hub": where the file list came from


def _locate(model: str | os.PathLike) -> _Source:
    """Find the model's files and config without downloading weights."""
    import json

    folder = hub._local_folder(model)
    if folder is not None:
        files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
        if "config.json" not in files:
            what = "is empty" if not files else "has no config.json"
            raise ModelNotFoundError(
                f"The folder {folder} {what}, so there is no model to load. Point at the folder "
                "you saved with model.save_pretrained(...), or use a Hub id such as "
                "'HuggingFaceTB/SmolLM2-135M-Instruct'."
            )
        config = json.loads((folder / "config.json").read_text())
        return _Source(str(folder), files, folder, config, "in the folder")
    model_id = str(model)
    if not hub._offline():
        from huggingface_hub import HfApi, hf_hub_download
        from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

        try:
            files = HfApi().list_repo_files(model_id)
            config = json.loads(Path(hf_hub_download(model_id, "config.json")).read_text())
            return _Source(model_id, files, hub.cached_snapshot(model_id), config, "on the Hub")
        except (GatedRepoError, RepositoryNotFoundError) as exc:
            from huggingface_hub import get_token

            raise hub.access_error(model_id, exc, has_token=get_token() is not None) from None
        except Exception:  # no network: use what the cache has
            pass
    snapshot = hub.cached_snapshot(model_id)
    if snapshot is None or not (snapshot / "config.json").is_file():
        raise hub.not_cached_error(model_id)
    files = sorted(p.relative_to(snapshot).as_posix() for p in snapshot.rglob("*") if p.is_file())
    config = json.loads((snapshot / "config.json").read_text())
    return _Source(model_id, files, snapshot, config, "in the cache")


def _weights_format(src: _Source, allow_pickle: bool) -> bool:
    """True for safetensors; False when only pickle files exist and the caller allowed them."""
    if any(f.endswith(".safetensors") for f in src.files):
        return True
    pickles = [f for f in src.files if f.endswith(PICKLE_SUFFIXES)]
    if pickles:
        if allow_pickle:
            return False
        raise UnsafeCheckpointError(
            f"{src.name} offers its weights only as pickle files ({', '.join(pickles[:3])}). "
            "Loading a pickle can run any code its author put in it. Look for a safetensors "
            "version of this model on the Hub, or, if you trust the authors, pass allow_pickle=True."
        )
    raise ModelNotFoundError(
        f"No weight files for {src.name} {src.origin} (only {', '.join(src.files[:4])}). "
        "Offline, load it once on a connected runtime so its weights are cached; a folder needs "
        "the files model.save_pretrained(...) writes."
    )


def _need_packages(quantize: str | None, device_map: Any) -> None:
    needed = []
    if quantize:
        needed.append("bitsandbytes")
    if quantize or device_map is not None:
        needed.append("accelerate")
    missing = [p for p in needed if importlib.util.find_spec(p) is None]
    if missing:
        raise MissingPackageError(
            f"This load needs {' and '.join(missing)}. Install with "
            f"`%pip install -q {' '.join(missing)}`, then restart the runtime and run again."
        )


def _parse_dtype(dtype: Any) -> Any:
    import torch

    if isinstance(dtype, torch.dtype):
        if dtype not in (torch.float32, torch.float16, torch.bfloat16):
            raise BadInputError(f"dtype {dtype} is not a load precision: use float32, float16 or bfloat16.")
        return dtype
    name = _DTYPES.get(str(dtype).lower())
    if name is None:
        raise BadInputError(
            f"dtype {dtype!r} is not one of 'auto', 'float32', 'float16', 'bfloat16' (or a torch dtype)."
        )
    return getattr(torch, name)


def _auto_dtype(quantize: str | None) -> Any:
    """The dtype gpu_report advises: float16 on a T4, bfloat16 on newer GPUs, float32 on a CPU.

    8-bit always gets float16 (bitsandbytes' int8 matmuls take float16 inputs, so nothing is
    cast, and nothing warns, on every call). 4-bit keeps its unquantized parts and computes in
    16 bits: on a CPU that is bfloat16, the fastest 4-bit setting there.
    """
    import torch

    if quantize == "8bit":
        return torch.float16
    from .gpu import gpu_report

    advised = _parse_dtype(gpu_report().recommended_dtype)
    if quantize == "4bit" and advised == torch.float32:
        return torch.bfloat16
    return advised


def _free_bytes() -> tuple[int, str]:
    """(bytes free, where) on the device the model will go to."""
    import torch

    if torch.cuda.is_available():
        free, _total = torch.cuda.mem_get_info()
        return free, f"GPU {torch.cuda.get_device_name()}"
    import psutil

    return psutil.virtual_memory().available, "CPU RAM"


def _memory_check(target: str, dtype: Any, quantize: str | None, double_quant: bool,
                  notes: list[str]) -> int | None:
    """Estimate the weights' bytes with memory.py; WontFitError with the plan when they won't fit."""
    try:
        from .memory import estimate_memory
    except ImportError:
        notes.append("memory check skipped: course_utils.memory is not available")
        return None
    float_name = str(dtype).removeprefix("torch.")
    how = {"8bit": "int8", "4bit": "nf4"}.get(quantize or "", float_name)
    try:
        estimate = estimate_memory(target, dtype=how, double_quant=double_quant,
                                   compute_dtype=float_name)
    except CourseError as exc:
        notes.append(f"memory check skipped: {exc}")
        return None
    need = int(estimate.total_bytes)
    free, where = _free_bytes()
    if where.startswith("GPU"):  # plus the CUDA context and activations, as memory.fits counts
        from .memory import needed_bytes

        need = needed_bytes(estimate)
    if need > free:
        advice = ""
        try:
            from .memory import plan

            advice = f"\n{plan(target, gpu=free / 2**30)}"
        except Exception:  # the plan is a bonus; the error below stands without it
            pass
        raise WontFitError(
            f"{target} needs about {_fmt_bytes(need)} in {how}, but only {_fmt_bytes(free)} of "
            f"{where} is free. Levers, in order: half precision, quantize='8bit', "
            f"quantize='4bit', then a smaller model or a bigger GPU.{advice}\n"
            "To let device_map='auto' spill onto the CPU anyway (slow), pass check_memory=False."
        )
    return int(estimate.total_bytes)


def _auto_class(config: dict[str, Any], task: str | None) -> str:
    """The Auto class for a task, or for the architecture the config names."""
    from transformers.models.auto import modeling_auto

    archs = config.get("architectures") or []

    def loads(table: str) -> bool:
        names = getattr(modeling_auto, table).values()
        flat = {n for v in names for n in ((v,) if isinstance(v, str) else v)}
        return any(a in flat for a in archs)

    rows = [r for r in AUTO_CLASSES if task is None or task in r[0]]
    for _tasks, cls, table in rows:
        if loads(table):
            return cls
    return rows[0][1] if task is not None else "AutoModel"


# ---------------------------------------------------------------------------------------------
# Measuring what a model holds
# ---------------------------------------------------------------------------------------------

def held_bytes(model: Any) -> dict[str, int]:
    """Bytes per device of every storage a model holds: parameters, buffers and the
    quantization state bitsandbytes keeps beside them (absmax, code tables, SCB)."""
    import torch

    seen: set[tuple[str, int]] = set()
    per: dict[str, int] = {}

    def add(obj: Any, depth: int = 0) -> None:
        if isinstance(obj, torch.Tensor):
            if obj.device.type == "meta":  # offloaded to disk: counted separately
                return
            storage = obj.untyped_storage()
            key = (str(obj.device), storage.data_ptr())
            if key not in seen:
                seen.add(key)
                per[str(obj.device)] = per.get(str(obj.device), 0) + storage.nbytes()
        elif depth < 3 and type(obj).__name__ in {"QuantState", "MatmulLtState"}:
            for value in vars(obj).values():
                add(value, depth + 1)

    for p in model.parameters():
        add(p)
        for value in vars(p).values():  # Params4bit.quant_state, Int8Params.SCB/CB
            add(value)
    for b in model.buffers():
        add(b)
    for m in model.modules():
        add(getattr(m, "state", None))  # Linear8bitLt keeps a MatmulLtState
    disk = sum(p.numel() * p.element_size() for p in model.parameters() if p.device.type == "meta")
    if disk:
        per["disk"] = disk
    return per


def _device_map_summary(model: Any) -> dict[str, int] | None:
    dmap = getattr(model, "hf_device_map", None)
    if not dmap:
        return None
    counts: dict[str, int] = {}
    for device in dmap.values():
        name = f"cuda:{device}" if isinstance(device, int) else str(device)
        counts[name] = counts.get(name, 0) + 1
    return counts


@contextmanager
def oom_guard(doing: str, lever: str) -> Iterator[None]:
    """Turn CUDA out-of-memory while `doing` into a WontFitError that names the next lever."""
    import torch

    try:
        yield
    except (torch.OutOfMemoryError, RuntimeError) as exc:
        if not isinstance(exc, torch.OutOfMemoryError) and "out of memory" not in str(exc):
            raise
        status = free_memory()
        raise WontFitError(
            f"CUDA ran out of memory while {doing}. Next lever: {lever}. "
            f"After freeing what it could: {status}"
        ) from None


def _next_lever(dtype: Any, quantize: str | None) -> str:
    import torch

    if quantize is None and dtype == torch.float32:
        return "half precision (dtype='float16' on a T4, 'bfloat16' on newer GPUs)"
    return {None: "quantize='8bit'", "8bit": "quantize='4bit'"}.get(
        quantize, "a smaller model, or a bigger GPU (or check_memory=False to offload to the CPU)")


# ---------------------------------------------------------------------------------------------
# The public helpers
# ---------------------------------------------------------------------------------------------

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
    **kwargs: Any,
) -> Loaded:
    """Load a model and its tokenizer or processor after checking it can and should be (part 8).

    quantize: None, "8bit" or "4bit" (NF4, `double_quant` optional) through bitsandbytes.
    dtype "auto" follows gpu_report's advice. Pickle checkpoints need allow_pickle=True;
    remote code is never run. Returns a Loaded that unpacks as (model, tokenizer) and has .report.
    """
    import torch

    if quantize not in QUANTIZE:
        raise BadInputError(
            f"quantize={quantize!r} is not one of None, '8bit' or '4bit'. 4-bit is NF4 "
            "(add double_quant=True for a little less memory)."
        )
    quantize = QUANTIZE[quantize]
    if double_quant and quantize != "4bit":
        raise BadInputError("double_quant=True applies to quantize='4bit' only.")
    if kwargs.pop("trust_remote_code", False):
        raise BadInputError("load_model never runs a repository's own code (trust_remote_code); "
                            "use a model that transformers supports natively.")
    if task is not None and task not in TASKS:
        raise BadInputError(f"task {task!r} is not one load_model knows: {', '.join(TASKS)}.")
    load_dtype = _auto_dtype(quantize) if dtype == "auto" else _parse_dtype(dtype)
    src = _locate(model)
    _need_packages(quantize, device_map)
    notes: list[str] = []
    if quantize == "8bit" and load_dtype != torch.float16:
        notes.append("8-bit with a dtype other than float16 casts every matmul input (and warns each time)")
    try:
        lic = hub.license_info(model)
        license_text = f"{lic.license or 'none stated'} ({lic.category})" + (", gated" if lic.gated else "")
    except CourseError:
        license_text = "unknown (no model card found)"
    if quantize and not torch.cuda.is_available():
        notes.append("no CUDA GPU: bitsandbytes runs this quantized model on the CPU, slowly "
                     "(on Colab, switch to a T4 runtime)")
    target = str(src.folder) if src.folder is not None else src.name
    estimate = (_memory_check(target, load_dtype, quantize, double_quant, notes)
                if check_memory else None)
    use_safetensors = _weights_format(src, allow_pickle)
    if not use_safetensors:
        notes.append("loaded from a pickle checkpoint because allow_pickle=True")
    auto_name = _auto_class(src.config, task)
    if verbose:
        need = f"~{_fmt_bytes(estimate)}" if estimate else "not estimated"
        print(f"Preflight {src.name}: {'safetensors' if use_safetensors else 'pickle'} weights, "
              f"license {license_text}, memory {need}, loading with {auto_name}")
        for note in notes:
            print(f"  note: {note}")

    import transformers

    load_kwargs: dict[str, Any] = dict(dtype=load_dtype, use_safetensors=use_safetensors,
                                       trust_remote_code=False, **kwargs)
    if device_map is not None:
        load_kwargs["device_map"] = device_map
    if quantize == "4bit":
        load_kwargs["quantization_config"] = transformers.BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=load_dtype,
            bnb_4bit_use_double_quant=double_quant)
    elif quantize == "8bit":
        load_kwargs["quantization_config"] = transformers.BitsAndBytesConfig(load_in_8bit=True)
    start = time.perf_counter()
    with oom_guard("loading", _next_lever(load_dtype, quantize)):
        loaded = getattr(transformers, auto_name).from_pretrained(src.name, **load_kwargs)
    loaded.eval()
    tokenizer = _load_preprocessor(src)
    seconds = time.perf_counter() - start
    _LIVE.add(loaded)
    placement = held_bytes(loaded)
    quant_name = {"8bit": "int8", "4bit": "nf4 + double quant" if double_quant else "nf4"}.get(
        quantize or "")
    report = LoadReport(
        model=src.name, auto_class=auto_name, dtype=str(load_dtype).removeprefix("torch."),
        quantization=quant_name, bytes_held=sum(v for k, v in placement.items() if k != "disk"),
        placement=placement, device_map=_device_map_summary(loaded), load_seconds=seconds,
        estimate_bytes=estimate, license=license_text, notes=notes,
    )
    return Loaded(loaded, tokenizer, report)


def _load_preprocessor(src: _Source) -> Any:
    """AutoProcessor for image/audio models, AutoTokenizer for text, None when there is neither."""
    import transformers

    names = {Path(f).name for f in src.files}
    if names & set(_PROCESSOR_FILES):
        return transformers.AutoProcessor.from_pretrained(src.name)
    if names & set(_TOKENIZER_FILES):
        return transformers.AutoTokenizer.from_pretrained(src.name)
    return None


def load_pipeline(task: str, model: str | os.PathLike, *, quantize: str | None = None,
                  dtype: Any = "auto", device_map: Any = "auto", **kwargs: Any) -> Any:
    """A transformers pipeline built on load_model's checks; its LoadReport is `pipe.report`."""
    import transformers

    load_keys = {"double_quant", "allow_pickle", "check_memory", "verbose"}
    loaded = load_model(model, quantize=quantize, dtype=dtype, device_map=device_map, task=task,
                        **{k: kwargs.pop(k) for k in list(kwargs) if k in load_keys})
    pre = loaded.tokenizer
    parts: dict[str, Any] = {}
    if isinstance(pre, transformers.ProcessorMixin):
        for name in ("tokenizer", "feature_extractor", "image_processor"):
            if getattr(pre, name, None) is not None:
                parts[name] = getattr(pre, name)
        parts["processor"] = pre
    elif isinstance(pre, transformers.PreTrainedTokenizerBase):
        parts["tokenizer"] = pre
    elif pre is not None and hasattr(pre, "model_input_names"):
        kind = "image_processor" if "pixel_values" in pre.model_input_names else "feature_extractor"
        parts[kind] = pre
    pipe = transformers.pipeline(task, model=loaded.model, **parts, **kwargs)
    pipe.report = loaded.report
    return pipe


@dataclass
class MemoryStatus:
    """What is still held after free_memory(), and what holds it."""

    device: str
    held_bytes: int  # CUDA: allocated by tensors; CPU: this process's resident memory
    reserved_bytes: int | None  # CUDA: kept by PyTorch's caching allocator
    models: list[str]

    def __str__(self) -> str:
        text = f"{self.device}: {_fmt_bytes(self.held_bytes)} still in use"
        if self.reserved_bytes is not None:
            text += f", {_fmt_bytes(self.reserved_bytes)} reserved by PyTorch"
        if self.models:
            text += (f". Still referenced: {', '.join(self.models)}. `del` every variable that "
                     "holds them (pipelines too), then call cu.free_memory() again.")
        else:
            text += ". No model loaded by cu.load_model is still referenced."
        return text

    __repr__ = __str__


def free_memory() -> MemoryStatus:
    """Release what Python and PyTorch can (garbage, the CUDA cache) and say what is still held.

    A model stays in memory while any variable refers to it: `del model` first (part 8).
    """
    import torch

    gc.collect()
    models = []
    for m in list(_LIVE):
        size = sum(v for k, v in held_bytes(m).items() if k != "disk")
        models.append(f"{getattr(m, 'name_or_path', type(m).__name__)} ({_fmt_bytes(size)})")
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
        return MemoryStatus(f"GPU {torch.cuda.get_device_name()}", torch.cuda.memory_allocated(),
                            torch.cuda.memory_reserved(), models)
    import psutil

    return MemoryStatus("CPU", psutil.Process().memory_info().rss, None, models)
