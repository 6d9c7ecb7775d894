"""Validation at the door: one function per kind of argument a learner types, and safe readers.

Every helper that takes a model, a dtype, a GPU, a size, a task, a device map or a file name can
check it here first, so a typo is answered with a CourseError that says what to type instead,
never with a traceback from deep inside a library. The readers (``read_json``, ``load_card``,
``safetensors_header``) turn a truncated, binary or hand-broken file into an error that names
the file and the next step. Nothing here imports torch at import time.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any

from .dtypes import dtype_name
from .errors import BadInputError, ModelNotFoundError, NoGPUError
from .gpu import GPU, find_gpu

MAX_ID = 96  # the Hub's longest repo id
MAX_COUNT = 10**15  # more than any token count, batch or parameter count a course uses
_COLAB_GPU = "On Colab: Runtime > Change runtime type > T4 GPU, then run the notebook again."


# The pipeline tasks load_model and load_pipeline know (``task`` checks a learner's against
# them): (pipeline tasks, Auto class, the transformers table of architectures it loads).
# preflight.py picks the Auto class from it.
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
]  # fmt: skip
TASKS = sorted({t for tasks, _, _ in AUTO_CLASSES for t in tasks})


def model_ref(model: Any) -> str | Path:
    """A model reference: an existing folder (as a Path) or a Hub id of the Hub's form."""
    if isinstance(model, os.PathLike) or (isinstance(model, str) and model.strip()):
        text = os.fspath(model)
        folder = Path(text).expanduser()
        if len(text) < 4096 and _is_dir(folder):
            return folder
        if isinstance(model, str) and not text.strip().startswith((".", "/", "~", "\\")):
            return hub_id(text)
        raise ModelNotFoundError(
            f"{shown(text)} is neither a folder here nor a Hub id. Check the path (the folder "
            "you saved with save_pretrained), or use a Hub id such as 'gpt2'."
        )
    raise BadInputError(
        f"Pass the model as a Hub id such as 'HuggingFaceTB/SmolLM2-135M-Instruct' or the path "
        f"of a folder saved with save_pretrained, not {shown(model)}."
    )


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):  # name too long, a NUL byte
        return False


def hub_id(text: str) -> str:
    """A Hub id ('owner/name'), checked with huggingface_hub's own rules (BadInputError if not)."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    model_id = text.strip()
    try:
        validate_repo_id(model_id)
    except HFValidationError:
        why = f"it is {len(model_id)} characters long (96 at most)" if len(model_id) > MAX_ID else (
            "a Hub id is 'owner/name' with letters, digits, '-', '_' and '.' only"
        )  # fmt: skip
        raise BadInputError(
            f"{shown(model_id)} is neither a folder here nor a Hub model id: {why}. Copy the id "
            "from the model's Hub page (e.g. 'HuggingFaceTB/SmolLM2-135M-Instruct')."
        ) from None
    return model_id


def shown(value: Any, limit: int = 60) -> str:
    """A value as an error message shows it: its repr, cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def dtype(value: Any) -> str:
    """The canonical name of a precision (the names live in dtypes.py)."""
    return dtype_name(value)


def gpu(value: Any) -> Any:
    """A GPU from cu.GPUS (names as torch reports them too: 'NVIDIA H100 80GB HBM3', 'Tesla T4')
    or a memory size in GiB (a finite number above 0)."""
    if isinstance(value, GPU):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return number(value, "gpu memory in GiB", minimum=0.01, integer=False, maximum=10**5)
        except BadInputError:
            raise BadInputError(
                f"gpu={shown(value, 24)} is no GPU memory: give a card from cu.GPUS such as 'T4', "
                "or its memory in GiB, a finite number between 0.01 and 100,000 (e.g. gpu=16)."
            ) from None
    return find_gpu(value)


def number(
    value: Any, what: str, minimum: float = 0, integer: bool = True, maximum: float = MAX_COUNT
) -> Any:
    """A finite number in [minimum, maximum] (an int when ``integer``); BadInputError if not."""
    ok = not isinstance(value, bool) and isinstance(value, (int, float, str))
    try:
        number = float(value) if ok else math.nan
    except (ValueError, OverflowError):
        number = math.nan
    if not (math.isfinite(number) and minimum <= number <= maximum):
        limits = f"between {minimum:g} and {maximum:g}"
        raise BadInputError(f"{what} must be a finite number {limits}, not {shown(value)}.")
    if integer and not number.is_integer():
        raise BadInputError(f"{what} must be a whole number, not {shown(value)}.")
    return int(number) if integer else number


def length(value: Any, what: str = "seq_len") -> int:
    """A length in tokens (0 or more)."""
    return number(value, what, minimum=0)


def count(value: Any, what: str = "batch_size") -> int:
    """A count of things (1 or more): batch size, layers, heads."""
    return number(value, what, minimum=1)


def task(value: Any) -> str:
    """A pipeline task load_pipeline and load_model know (one of TASKS)."""
    name = value.strip().lower().replace("_", "-") if isinstance(value, str) else None
    if name not in TASKS:
        raise BadInputError(f"Unknown task {shown(value)}. Use one of: {', '.join(TASKS)}.")
    return name


def device_map(value: Any) -> Any:
    """A device_map this runtime can serve: None, "auto", "cpu", "cuda[:N]" or a dict of them."""
    if isinstance(value, dict):  # {"": "cuda"}, {"model.layers.0": 0, ...}: each place checked
        for place in value.values():
            if place not in ("cpu", "disk", "meta"):
                _gpu_place(place, value)
        return value
    if value is None or value in ("auto", "cpu"):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"(cuda|gpu)(:\d+)?|\d+", value.strip()):
        raise BadInputError(
            f"device_map={shown(value)} is not one this course uses: pass 'auto' (GPU first, "
            "then CPU), 'cpu', 'cuda' or 'cuda:0'."
        )
    import torch

    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if gpus == 0:
        raise NoGPUError(f"device_map={value!r} asks for a GPU, and this runtime has none. "
                         f"{_COLAB_GPU} Or pass device_map='cpu'.")  # fmt: skip
    index = int(value.rsplit(":", 1)[1]) if ":" in value else int(value) if value.isdigit() else 0
    if value.startswith("gpu") or index >= gpus:
        raise BadInputError(
            f"device_map={value!r}: this runtime has {gpus} GPU(s), cuda:0 to cuda:{gpus - 1}. "
            "Pass 'cuda' (or 'auto')."
        )
    return value


def _gpu_place(place: Any, given: dict) -> None:
    """One GPU place in a device_map dict (0, "cuda", "cuda:1"), checked as device_map itself."""
    text = str(place) if isinstance(place, int) and not isinstance(place, bool) else place
    if not isinstance(text, str):
        raise BadInputError(
            f"device_map={shown(given)} places a module on {shown(place)}: use 'cpu', 'disk', "
            "'cuda' or a GPU index such as 0."
        )
    try:
        device_map(text)
    except NoGPUError:
        raise NoGPUError(
            f"device_map={shown(given)} places modules on a GPU, and this runtime has none. "
            f"{_COLAB_GPU} Or pass device_map='cpu'."
        ) from None


def file_name(name: Any, what: str = "file name") -> str:
    """A plain file name: no folders, no '..', no leading or trailing spaces."""
    ok = isinstance(name, str) and name.strip() == name and name not in ("", ".", "..")
    if not ok or "/" in name or "\\" in name or "\x00" in name or len(name) > 200:
        raise BadInputError(
            f"The {what} must be a plain file name, such as 'cat.jpg', not {shown(name, 80)}: "
            "no folders, no '..'."
        )
    return name


def _next_step(path: Path) -> str:
    """What to do about a broken file: delete its cache entry (named) or re-save the folder."""
    for parent in path.resolve().parents:
        if parent.name.startswith("models--"):
            return (
                f"Delete the cache entry {parent} (shutil.rmtree) and load the model again to "
                "re-download it."
            )
    return "Re-download it, or save the model again with save_pretrained."


def _text_of(path: Path, what: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelNotFoundError(f"Cannot read {what} {path} ({exc.strerror}).") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInputError(
            f"{what} {path} is not UTF-8 text (byte {exc.start} of {len(data)}: a binary or "
            f"truncated file, or another encoding such as latin-1). {_next_step(path)} For a "
            "file you wrote, save it as UTF-8."
        ) from None


def read_json(path: str | os.PathLike, what: str = "") -> dict[str, Any]:
    """A JSON object from a file (config.json, ...); BadInputError naming the file if broken."""
    path = Path(path)
    what = what or "The file"
    try:
        data = json.loads(_text_of(path, what))
    except json.JSONDecodeError as exc:
        raise BadInputError(
            f"{what} {path} is not valid JSON ({exc.msg}: line {exc.lineno}, column "
            f"{exc.colno}): the file is truncated or was edited by hand. {_next_step(path)}"
        ) from None
    if not isinstance(data, dict):
        raise BadInputError(
            f"{what} {path} holds a JSON {type(data).__name__}, not an object of settings. "
            f"{_next_step(path)}"
        )
    return data


def card_meta(path: str | os.PathLike) -> tuple[dict[str, Any], str]:
    """(metadata, text) of a README.md model card; BadInputError naming the YAML line if broken."""
    import yaml

    path = Path(path)
    text = _text_of(path, "The model card")
    match = re.match(r"^\ufeff?---[ \t]*\r?\n(.*?\r?\n)?---[ \t]*(\r?\n|$)", text, re.S)
    if match is None:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1) or "")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""  # +1 for the ---
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise BadInputError(
            f"The metadata of the model card {path} is broken{where} ({problem}; YAML allows "
            "spaces, not tabs, for indentation). Fix the YAML there, or delete the README.md."
        ) from None
    if meta is not None and not isinstance(meta, dict):
        raise BadInputError(
            f"The metadata of the model card {path} is a YAML {type(meta).__name__}, not "
            "'key: value' lines. Write it as key: value lines (license: mit), or delete it."
        )
    return meta or {}, text[match.end() :]


def load_card(path: str | os.PathLike) -> Any:
    """huggingface_hub's ModelCard of a README.md, after card_meta has checked it can be read."""
    from huggingface_hub import ModelCard

    card_meta(path)
    return ModelCard.load(path, ignore_metadata_errors=True)


def safetensors_header(path: str | os.PathLike) -> dict[str, Any]:
    """The JSON header of a .safetensors file (tensor names, dtypes, shapes), read without the
    safetensors package; BadInputError for an empty, truncated or random file."""
    path = Path(path)
    broken = f"The weights file {path} is not a complete safetensors file"
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            head = f.read(8)
            n = int.from_bytes(head, "little") if len(head) == 8 else -1
            raw = f.read(n) if 2 <= n <= min(size - 8, 100 * 2**20) else b""
    except OSError as exc:
        raise ModelNotFoundError(f"Cannot read {path} ({exc.strerror}).") from None
    try:
        header = json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        header = None
    if not isinstance(header, dict):
        why = "it is empty" if size == 0 else f"its header is unreadable ({size:,} bytes)"
        raise BadInputError(f"{broken}: {why}, from a broken download. {_next_step(path)}")
    end = max((t["data_offsets"][1] for k, t in header.items() if _is_tensor(k, t)), default=0)
    if 8 + n + end > size:
        raise BadInputError(
            f"{broken}: it is {size:,} bytes and its header promises {8 + n + end:,} (a "
            f"truncated download). {_next_step(path)}"
        )
    return header


def _is_tensor(key: str, entry: Any) -> bool:
    offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
    ok = isinstance(offsets, list) and len(offsets) == 2
    return key != "__metadata__" and ok and all(isinstance(o, int) for o in offsets)


# The sizes a model config gives (under any of their names): each a whole number ≥ 1 where it is
# set (None leaves the model's default). 0 heads divides by zero in transformers, a negative
# width reaches torch as "negative dimension", "4096" (text) fails huggingface_hub's strict type
# check: all answered here instead, naming the field.
CONFIG_SIZES = (
    "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
    "num_kv_heads", "n_head_kv", "head_dim", "intermediate_size", "vocab_size", "n_embd",
    "n_layer", "n_head", "n_inner", "d_model", "d_kv", "d_ff", "num_heads", "num_layers",
    "decoder_layers", "encoder_layers", "decoder_attention_heads", "encoder_attention_heads",
    "kv_lora_rank", "qk_rope_head_dim", "max_position_embeddings",
)  # fmt: skip


def config_sizes(data: Any, where: str = "The config") -> None:
    """BadInputError naming the first size in a config's dict (or its sub-configs' dicts) that
    is not a whole number ≥ 1: zero heads, a negative width, a number written as text."""
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        if isinstance(value, dict) and (key.endswith("_config") or key in ("encoder", "decoder")):
            config_sizes(value, f"{where} ({key})")
        if key not in CONFIG_SIZES or value is None:
            continue
        if isinstance(value, list) and value:  # one per layer (Gemma 3n's intermediate_size)
            for item in value:
                config_sizes({key: item}, where)
            continue
        whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        if isinstance(value, bool) or not whole or not 1 <= value <= MAX_COUNT:
            if isinstance(value, str) and value.strip().isdigit():
                fix = f"write it as a number, without quotes: {key}={int(value)}"
            else:
                fix = "fix it there, or use the model's own config.json"
            raise BadInputError(
                f"{where[:1].upper()}{where[1:]} has {key}={shown(value)}, and a model's "
                f"{key} is a whole number of 1 or more: {fix}."
            )
