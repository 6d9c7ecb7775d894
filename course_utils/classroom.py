"""Prefetch the course into one (shared) Hugging Face cache, so a classroom can run offline.

``COURSE_DOWNLOADS`` is the one list of what each part reads from the Hub (tests/test_prefetch.py
keeps it equal to the ids the notebooks name). ``prefetch`` sizes it from the Hub's file
metadata, downloads only the files the notebooks load (safetensors, not pickle copies) into
``HF_HOME`` with progress bars, skips gated models the token may not read, and checks that every
part then resolves with the network off. The instructors' page in the README shows it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from typing import Any

from ._display import Table, fmt_bytes
from .errors import BadInputError, CourseError, GatedModelError, NotLoggedInError, OfflineError

# What a notebook reads from a repo it loads whole: weights as safetensors, configs, tokenizer
# and processor files, the chat template and the card. Not *.bin, *.h5, *.msgpack, *.onnx, *.gguf.
MODEL_FILES = ("*.json", "*.safetensors", "*.txt", "*.model", "*.jinja", "README.md")
# What the memory maths and the license checks read from a model no notebook downloads.
CONFIG_FILES = ("config.json", "generation_config.json", "README.md")
CARD_FILES = ("README.md",)
TIMEOUT_S = 10.0


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
    ),
    5: (*_whole(_SST2), *_whole(_MINILM), *_whole(_SMOL)),
    6: (*_whole(_SMOL), *_whole(_QWEN), *_configs(_QWEN_7B, _LLAMA_8B)),
    7: (*_whole(_VIT), *_whole("openai/whisper-tiny")),
    8: (
        *_whole(_SMOL),
        *_whole(_QWEN),
        *_configs(_QWEN_7B, _LLAMA_8B, _LLAMA_70B),
        Download("facebook/nllb-200-distilled-600M", CARD_FILES),
        Download("google/gemma-2-2b-it", CARD_FILES),
    ),
    9: (
        *_whole(_SMOL),
        *_whole(_SST2),
        *_whole(_VIT),
        *_configs(_QWEN_7B, _LLAMA_8B, _LLAMA_70B),
        Download("facebook/nllb-200-distilled-600M", CARD_FILES),
    ),
}


@dataclass
class Item:
    """What prefetch found (and did) for one download."""

    download: Download
    parts: list[int]
    size: int = 0  # bytes of the files it needs
    to_fetch: int = 0  # bytes not yet in the cache
    status: str = "ready"  # ready / downloaded / would download / skipped: <why>


@dataclass
class PrefetchReport(Table):
    """The table prefetch prints: one row per repo, then the totals and the line for the room."""

    items: list[Item] = field(default_factory=list)
    cache: str = ""
    offline_ok: bool | None = None  # None on a dry run
    missing_offline: list[str] = field(default_factory=list)

    def _title(self) -> str:
        return "What the course downloads"

    def _rows(self) -> list[tuple[str, str]]:
        rows = [
            (i.download.label, f"parts {_ranges(i.parts)}: {fmt_bytes(i.size)}, {i.status}")
            for i in self.items
        ]
        needed = sum(i.to_fetch for i in self.items if not i.status.startswith("skipped"))
        done = "downloaded" if self.offline_ok is not None else "still to download"
        rows.append(
            (
                "total",
                f"{fmt_bytes(sum(i.size for i in self.items))}, "
                f"{fmt_bytes(needed)} {done}, into {self.cache}",
            )
        )
        if self.offline_ok is not None:
            rows.append(
                (
                    "offline check",
                    "every part resolves with HF_HUB_OFFLINE=1"
                    if self.offline_ok
                    else "missing: " + ", ".join(self.missing_offline),
                )
            )
            rows.append(("for the room", f"export HF_HOME={_home()} HF_HUB_OFFLINE=1"))
        return rows


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
        raise BadInputError(f"The course has parts 1-9; there is no part {unknown or parts!r}.")
    return sorted(chosen)


def prefetch(
    parts: str | int | list[int] | None = "1-9",
    *,
    dry_run: bool = False,
    include_gated: bool = False,
) -> PrefetchReport:
    """Download what the chosen parts read from the Hub into HF_HOME, then check it offline.

    Instructors run it once before class (README, "For instructors"); ``dry_run`` only sizes it.
    Gated models are skipped unless ``include_gated`` and the token may read them.
    """
    from huggingface_hub import constants

    report = PrefetchReport(items=_items(parse_parts(parts)), cache=constants.HF_HUB_CACHE)
    if constants.HF_HUB_OFFLINE:
        raise OfflineError(
            "prefetch needs the Hub, but HF_HUB_OFFLINE is set: unset it in the "
            "shell that runs prefetch (the room sets it afterwards)."
        )
    for item in report.items:
        _size(item, include_gated)
    if dry_run:
        return report
    _check_disk(report)
    for item in report.items:
        if not item.status.startswith("skipped"):
            _download(item)
    report.missing_offline = [
        i.download.label
        for i in report.items
        if not i.status.startswith("skipped") and not _cached(i.download)
    ]
    report.offline_ok = not report.missing_offline
    return report


def _as_list(parts: Any) -> list[Any]:
    return list(parts) if isinstance(parts, (list, tuple)) else [parts]


def _ranges(numbers: list[int]) -> str:
    return ",".join(str(n) for n in numbers)


def _home() -> str:
    from huggingface_hub import constants

    return constants.HF_HOME


def _items(parts: list[int]) -> list[Item]:
    """One item per download, with the parts that need it (a repo shared by parts comes once)."""
    items: dict[Download, Item] = {}
    for part in parts:
        for d in COURSE_DOWNLOADS[part]:
            items.setdefault(d, Item(d, [])).parts.append(part)
    return list(items.values())


def _size(item: Item, include_gated: bool) -> None:
    """Fill in the item's sizes from the Hub's file metadata, or mark it skipped and say why."""
    from huggingface_hub import snapshot_download

    from .hub import hub_error, hub_page

    d = item.download
    if not _may_read(item, include_gated):
        return
    try:
        files = snapshot_download(
            d.repo_id, revision=d.revision, allow_patterns=list(d.files), dry_run=True
        )
    except Exception as e:  # noqa: BLE001 - every Hub failure becomes a course error
        error = hub_error(d.repo_id, e, wanted=None)
        if isinstance(error, (GatedModelError, NotLoggedInError)):
            item.status = f"skipped: gated, accept the terms at {hub_page(d.repo_id)}"
            return
        raise error from None
    item.size = sum(f.file_size or 0 for f in files)
    item.to_fetch = sum(f.file_size or 0 for f in files if f.will_download)
    item.status = "would download" if item.to_fetch else "ready"


def _may_read(item: Item, include_gated: bool) -> bool:
    """Gated repos are read only with include_gated and a token that was granted access."""
    from huggingface_hub import auth_check, model_info

    from .hub import hub_error, hub_page

    repo = item.download.repo_id
    try:
        gated = model_info(repo, timeout=TIMEOUT_S).gated
        if gated and include_gated:
            auth_check(repo)
    except Exception as e:  # noqa: BLE001
        error = hub_error(repo, e, wanted=None)
        if not isinstance(error, (GatedModelError, NotLoggedInError)):
            raise error from None
        gated = True
        if include_gated:
            item.status = f"skipped: no access yet, accept the terms at {hub_page(repo)}"
            return False
    if gated and not include_gated:
        item.status = f"skipped: gated (pass include_gated=True once {hub_page(repo)} is accepted)"
        return False
    return True


def _check_disk(report: PrefetchReport) -> None:
    from pathlib import Path

    needed = sum(i.to_fetch for i in report.items if not i.status.startswith("skipped"))
    folder = Path(report.cache)
    folder.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(folder).free
    if needed > free:
        raise CourseError(
            f"The course needs {fmt_bytes(needed)} more in {folder}, but the disk "
            f"has {fmt_bytes(free)} free: free some space or point HF_HOME at a "
            "bigger disk, then run prefetch again (it resumes)."
        )


def _download(item: Item) -> None:
    import errno

    from huggingface_hub import snapshot_download

    from .hub import hub_error

    d = item.download
    try:
        snapshot_download(d.repo_id, revision=d.revision, allow_patterns=list(d.files))
    except OSError as e:
        if e.errno == errno.ENOSPC:
            raise CourseError(
                f"The disk filled up while downloading {d.label}: free some space "
                "and run prefetch again; it resumes where it stopped."
            ) from None
        raise hub_error(d.repo_id, e) from None
    except Exception as e:  # noqa: BLE001
        raise hub_error(d.repo_id, e) from None
    item.status = "downloaded" if item.to_fetch else "ready"


def _cached(d: Download) -> bool:
    """True when the download resolves from the cache alone (what HF_HUB_OFFLINE=1 will do)."""
    from huggingface_hub import snapshot_download

    try:
        snapshot_download(
            d.repo_id, revision=d.revision, allow_patterns=list(d.files), local_files_only=True
        )
    except Exception:  # noqa: BLE001 - any failure means "not usable offline"
        return False
    return True
