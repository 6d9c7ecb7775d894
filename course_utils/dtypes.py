"""The course's one vocabulary of precisions: every name a learner may type, once (Parts 2 and 8).

A precision has a canonical name (``float32``, ``float16``, ``bfloat16``, ``int8``, ``nf4``,
``fp4``), the bytes one weight takes in it, and a short description. ``load_model`` spells its
quantization ``"8bit"``/``"4bit"``; those names map onto ``int8``/``nf4`` here too. Nothing here
imports torch.
"""

from __future__ import annotations

from typing import Any

from .errors import BadInputError

# name a learner may type -> canonical name
ALIASES = {
    "float32": "float32", "fp32": "float32", "f32": "float32",
    "float16": "float16", "fp16": "float16", "half": "float16", "f16": "float16",
    "bfloat16": "bfloat16", "bf16": "bfloat16",
    "int8": "int8", "8bit": "int8", "8-bit": "int8", "llm_int8": "int8",
    "nf4": "nf4", "4bit": "nf4", "4-bit": "nf4", "int4": "nf4",
    "fp4": "fp4",
}  # fmt: skip
# canonical name -> bytes one weight takes (the width alone: no scales, no code tables)
WIDTH = {"float32": 4.0, "float16": 2.0, "bfloat16": 2.0, "int8": 1.0, "nf4": 0.5, "fp4": 0.5}
FLOATS = ("float32", "float16", "bfloat16")  # what a model is loaded and computes in
QUANTIZED = ("int8", "nf4", "fp4")  # what bitsandbytes stores weights in
FOUR_BIT = ("nf4", "fp4")
ACCEPTED = (
    '"float32"/"fp32", "float16"/"fp16", "bfloat16"/"bf16", "int8"/"8bit", '
    '"nf4"/"fp4"/"4bit"/"int4" or a torch.dtype'
)
# what each precision is called in the lessons
DESCRIPTION = {
    "float32": "full precision", "float16": "half precision", "bfloat16": "half precision",
    "int8": "8-bit", "nf4": "4-bit", "fp4": "4-bit",
}  # fmt: skip
# load_model(quantize=...): the values it accepts -> the canonical quantized name
LOAD_QUANTIZE = {"8bit": "int8", "int8": "int8", "4bit": "nf4", "nf4": "nf4"}


def dtype_name(dtype: Any) -> str:
    """The canonical name of a dtype given as a string or a torch.dtype (torch is not imported)."""
    if type(dtype).__module__ == "torch" and type(dtype).__name__ == "dtype":
        dtype = str(dtype).removeprefix("torch.")
    if isinstance(dtype, str) and dtype.strip().lower() in ALIASES:
        return ALIASES[dtype.strip().lower()]
    raise BadInputError(f"Unknown dtype {dtype!r}. Accepted: {ACCEPTED}.")


def float_name(dtype: Any, what: str = "dtype") -> str:
    """The canonical name of a float precision (a load or compute dtype); int8/4-bit are refused."""
    try:
        name = dtype_name(dtype)
    except BadInputError:
        name = None
    if name not in FLOATS:
        raise BadInputError(
            f"{what} {dtype!r} is not a float precision: use 'float32', 'float16' or 'bfloat16' "
            "(or the torch dtype)."
        )
    return name


def label(name: str, double_quant: bool = False) -> str:
    """How a precision is shown: the canonical name, plus "+ double quant" for 4-bit with it."""
    return f"{name} + double quant" if double_quant and name in FOUR_BIT else name


def torch_dtype(name: str) -> Any:
    """The torch dtype of a float precision (imports torch)."""
    import torch

    return getattr(torch, float_name(name))


# The choices of the memory calculator (widgets.py): (what the dropdown shows, (name, double_quant))
PRECISIONS = [
    (f"{name} ({DESCRIPTION[name]})", (name, False))
    for name in ("bfloat16", "float16", "float32", "int8", "nf4")
] + [(label("nf4", True), ("nf4", True))]
