"""What each part of the course reads from the Hub: the one list prefetch downloads.

``COURSE_DOWNLOADS`` maps a part number to the repos (and revisions) its notebook and its exercise
checkers read, with the
file patterns it needs; tests/test_prefetch.py keeps it equal to the ids the notebooks name.
classroom.py sizes and downloads it; ``parse_parts`` reads a choice such as "6-9" or "3,8".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import BadInputError

# What a notebook reads from a repo it loads whole: weights as safetensors, configs, tokenizer
# and processor files, the chat template and the card. Not *.bin, *.h5, *.msgpack, *.onnx, *.gguf.
MODEL_FILES = ("*.json", "*.safetensors", "*.txt", "*.model", "*.jinja", "README.md")
# What the memory maths and the license checks read from a model no notebook downloads.
CONFIG_FILES = ("config.json", "generation_config.json", "README.md")
CARD_FILES = ("README.md",)


@dataclass(frozen=True)
class Download:
    """One repo (at one revision) a part reads, and the file patterns it needs."""

    repo_id: str
    files: tuple[str, ...] = MODEL_FILES
    revision: str | None = None  # the short revisions pipeline() defaults pin

    @property
    def label(self) -> str:
        return self.repo_id + (f"@{self.revision}" if self.revision else "")


_SST2 = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
_VIT = "google/vit-base-patch16-224"
_SMOL = "HuggingFaceTB/SmolLM2-135M-Instruct"
_QWEN = "Qwen/Qwen2.5-0.5B-Instruct"
_MINILM = "sentence-transformers/all-MiniLM-L6-v2"
_LLAMA_8B, _LLAMA_70B = "meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-70B-Instruct"
_QWEN_7B = "Qwen/Qwen2.5-7B-Instruct"
# pipeline(task) with no model pins a short revision of its default; offline that needs its ref
_PINNED = {_SST2: ("714eb0f",), _VIT: ("3f49326",)}


def _whole(repo_id: str) -> tuple[Download, ...]:
    """A model a notebook loads, at main and at the revisions pipeline defaults pin."""
    return (Download(repo_id), *(Download(repo_id, revision=r) for r in _PINNED.get(repo_id, ())))


def _configs(*repo_ids: str) -> tuple[Download, ...]:
    return tuple(Download(r, CONFIG_FILES) for r in repo_ids)


COURSE_DOWNLOADS: dict[int, tuple[Download, ...]] = {
    1: _whole(_SST2),
    2: (),
    3: (*_whole(_SST2), *_configs(_LLAMA_8B)),
    4: (
        *_whole(_SST2),
        *_whole("distilbert/distilbert-base-uncased"),
        *_whole("dslim/bert-base-NER"),
        *_whole(_MINILM),
        *_whole("facebook/bart-large-mnli"),
        *_whole(_SMOL),  # q1's checker: a task the part never uses
    ),
    5: (*_whole(_SST2), *_whole("dslim/bert-base-NER"), *_whole(_SMOL)),
    6: (*_whole(_SMOL), *_whole(_QWEN), *_configs(_QWEN_7B)),
    7: (*_whole(_VIT), *_whole("openai/whisper-tiny")),
    8: (
        *_whole(_SMOL),
        *_configs(_QWEN_7B, _LLAMA_8B),
        Download("facebook/nllb-200-distilled-600M", CARD_FILES),
        Download("dslim/bert-base-NER", CARD_FILES),
        *_configs("google/gemma-2-2b-it", _QWEN),  # q3's candidates
    ),
    9: (
        *_whole(_SMOL),
        *_whole(_SST2),
        *_whole(_VIT),
        *_configs(_QWEN_7B, _LLAMA_8B, _LLAMA_70B),
        Download("facebook/nllb-200-distilled-600M", CARD_FILES),
        *_whole("distilbert/distilbert-base-uncased"),  # q1's fill-mask model
    ),
}


def parse_parts(parts: str | int | list[int] | None) -> list[int]:
    """``"1-9"``, ``"3,8"``, ``8`` or ``[6, 8]`` -> sorted part numbers;
    unknown parts are refused."""
    if parts is None:
        return sorted(COURSE_DOWNLOADS)
    if isinstance(parts, bool) or not isinstance(parts, (str, int, list, tuple)):
        raise BadInputError(f"parts must look like '1-9', '3,8' or 8, not {type(parts).__name__}.")
    chosen: set[int] = set()
    pieces = parts.split(",") if isinstance(parts, str) else [str(p) for p in _as_list(parts)]
    for piece in (p.strip() for p in pieces):
        low, dash, high = piece.partition("-")
        try:
            first, last = int(low), int(high if dash else low)
        except ValueError:
            raise BadInputError(
                f"{piece!r} is not a part number: use e.g. '1-9' or '3,8'."
            ) from None
        chosen.update(range(first, last + 1))
    unknown = sorted(chosen - set(COURSE_DOWNLOADS))
    if unknown or not chosen:
        raise BadInputError(
            f"The course has parts 1-9; there is no part {unknown or parts!r}: ask for e.g. "
            "'1-9', '6-9' or '3,8' (on the command line: --parts 6-9)."
        )
    return sorted(chosen)


def _as_list(parts: Any) -> list[Any]:
    return list(parts) if isinstance(parts, (list, tuple)) else [parts]
