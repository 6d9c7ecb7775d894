"""Prefetch the course into one (shared) Hugging Face cache, so a classroom can run offline.

``prefetch`` sizes what each part reads (``COURSE_DOWNLOADS``, downloads.py) from the Hub's file
metadata, downloads only the files the notebooks load (safetensors, not pickle copies) into
``HF_HOME`` with progress bars, skips gated models the token may not read, and checks that every
part then resolves with the network off. When it stops (no network, a download that breaks off,
a full disk) it says so in one line with the next step, and leaves nothing half-written in the
cache: huggingface_hub downloads each file to a temporary name and renames it when complete, and
a second run fetches only what is missing. docs/INSTRUCTORS.md shows it.
"""

from __future__ import annotations

import errno
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from ._display import Table, fmt_bytes
from .downloads import COURSE_DOWNLOADS, Download, parse_parts
from .errors import CourseError, GatedModelError, NotLoggedInError, OfflineError

__all__ = [
    "COURSE_DOWNLOADS",
    "CacheNotWritableError",
    "DiskFullError",
    "PrefetchReport",
    "parse_parts",
    "prefetch",
]
TIMEOUT_S = 10.0
ORPHAN_S = 600  # a temporary download file untouched this long belongs to a killed run


class DiskFullError(CourseError, OSError):
    """The disk that holds HF_HOME has no room for what prefetch still has to download."""


class CacheNotWritableError(CourseError, PermissionError):
    """prefetch may not write into HF_HOME (a read-only share, another user's folder)."""


@dataclass
class Item:
    """What prefetch found (and did) for one download."""

    download: Download
    parts: list[int]
    size: int = 0  # bytes of the files it needs
    to_fetch: int = 0  # bytes not yet in the cache
    status: str = "ready"  # ready / downloaded / would download / skipped: <why>
    files: dict[tuple[str, str], tuple[int, bool]] = field(default_factory=dict)
    # (commit, file name) -> (bytes, still to download): two revisions at one commit count once


def _unique(items: list[Item]) -> tuple[int, int]:
    """(bytes, bytes still to download) of the items' files, each file once."""
    files = {
        key: v for i in items if not i.status.startswith("skipped") for key, v in i.files.items()
    }
    return sum(size for size, _ in files.values()), sum(s for s, new in files.values() if new)


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
        size, needed = _unique(self.items)
        done = "downloaded" if self.offline_ok is not None else "still to download"
        rows.append(("total", f"{fmt_bytes(size)}, {fmt_bytes(needed)} {done}, into {self.cache}"))
        if self.offline_ok is not None:
            rows.append(
                (
                    "offline check",
                    "every part resolves with HF_HUB_OFFLINE=1"
                    if self.offline_ok
                    else f"missing: {', '.join(self.missing_offline)} (run prefetch again)",
                )
            )
            rows.append(("for the room", f"export HF_HOME={_home()} HF_HUB_OFFLINE=1"))
        return rows


def prefetch(
    parts: str | int | list[int] | None = "1-9",
    *,
    dry_run: bool = False,
    include_gated: bool = False,
) -> PrefetchReport:
    """Download what the chosen parts read from the Hub into HF_HOME, then check it offline.

    Instructors run it once before class (docs/INSTRUCTORS.md); ``dry_run`` only sizes it.
    Gated models are skipped unless ``include_gated`` and the token may read them.
    """
    from huggingface_hub import constants

    from .hub import offline

    report = PrefetchReport(items=_items(parse_parts(parts)), cache=constants.HF_HUB_CACHE)
    if offline():  # also puts time limits on every Hub request
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

    from .hub import hub_page

    d = item.download
    if not _may_read(item, include_gated):
        return
    try:
        files = snapshot_download(
            d.repo_id, revision=d.revision, allow_patterns=list(d.files), dry_run=True
        )
    except Exception as e:  # noqa: BLE001 - every Hub failure becomes a course error
        error = _course_error(d.repo_id, e)
        if isinstance(error, (GatedModelError, NotLoggedInError)):
            item.status = f"skipped: gated, accept the terms at {hub_page(d.repo_id)}"
            return
        raise error from None
    item.files = {(f.commit_hash, f.filename): (f.file_size or 0, f.will_download) for f in files}
    item.size = sum(size for size, _ in item.files.values())
    item.to_fetch = sum(size for size, new in item.files.values() if new)
    item.status = "would download" if item.to_fetch else "ready"


def _may_read(item: Item, include_gated: bool) -> bool:
    """Gated repos are read only with include_gated and a token that was granted access."""
    from huggingface_hub import auth_check, model_info

    from .hub import hub_page

    repo = item.download.repo_id
    try:
        gated = model_info(repo, timeout=TIMEOUT_S).gated
        if gated and include_gated:
            auth_check(repo)
    except Exception as e:  # noqa: BLE001
        error = _course_error(repo, e)
        if not isinstance(error, (GatedModelError, NotLoggedInError)):
            raise error from None
        gated = True
        if include_gated:
            item.status = _no_access(repo, isinstance(error, NotLoggedInError))
            return False
    if gated and not include_gated:
        item.status = f"skipped: gated (pass include_gated=True once {hub_page(repo)} is accepted)"
        return False
    return True


def _no_access(repo: str, no_token: bool) -> str:
    """The status of a gated repo this runtime may not read, with the next step."""
    from .hub import hub_page, tokens_page

    if no_token:
        return (
            f"skipped: gated and no Hub token; set HF_TOKEN to a read token from {tokens_page()} "
            f"whose account accepted the terms at {hub_page(repo)}"
        )
    return f"skipped: no access yet, accept the terms at {hub_page(repo)}"


def _course_error(repo_id: str, exc: BaseException) -> CourseError:
    """hub.hub_error, except that a Hub prefetch cannot reach says so in prefetch's words."""
    from huggingface_hub import constants

    from .hub import hub_error

    error = hub_error(repo_id, exc, wanted=None)
    if isinstance(error, OfflineError):
        return OfflineError(
            f"prefetch cannot reach the Hub at {constants.ENDPOINT} ({_why(exc)}). Check this "
            "machine's connection (behind a proxy, set HTTPS_PROXY), then run the same command "
            "again: files already downloaded are kept."
        )
    return error


def _why(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:160]}" if text else type(exc).__name__


def _check_disk(report: PrefetchReport) -> None:
    needed = _unique(report.items)[1]
    folder = Path(report.cache)
    folder.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(folder).free
    if needed > free:
        raise DiskFullError(
            f"The course needs {fmt_bytes(needed)} more in {folder}, but the disk "
            f"has {fmt_bytes(free)} free: free some space or point HF_HOME at a "
            "bigger disk, then run prefetch again (what is already there is kept)."
        )


def _download(item: Item) -> None:
    """Download one item's files; a failure says what happened and that a rerun completes it."""
    from huggingface_hub import snapshot_download

    d = item.download
    _sweep_orphans(d.repo_id)
    try:
        snapshot_download(d.repo_id, revision=d.revision, allow_patterns=list(d.files))
    except Exception as e:  # noqa: BLE001 - every failure becomes a course error
        raise _download_error(d, e) from None
    item.status = "downloaded" if item.to_fetch else "ready"


def _os_error(exc: BaseException) -> OSError | None:
    """The disk's own OSError in an exception chain (full, read-only, not allowed), if any."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in (
            errno.ENOSPC,
            errno.EDQUOT,
            errno.EACCES,
            errno.EROFS,
            errno.EPERM,
        ):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def _download_error(d: Download, exc: BaseException) -> CourseError:
    from huggingface_hub import constants

    disk = _os_error(exc)
    cache = constants.HF_HUB_CACHE
    if disk is not None and disk.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFullError(
            f"The disk filled up while downloading {d.label} into {cache}; nothing half-written "
            "was kept. Free some space (or point HF_HOME at a bigger disk), then run prefetch "
            "again: finished files are kept and only the rest is fetched."
        )
    if disk is not None:
        return CacheNotWritableError(
            f"prefetch may not write to {cache} ({_why(disk)}): run it as a user who may write "
            "there, or point HF_HOME at a folder you own, then run it again."
        )
    error = _course_error(d.repo_id, exc)
    if isinstance(error, OfflineError):
        return OfflineError(
            f"The download of {d.label} broke off ({_why(exc)}); nothing half-written was kept. "
            "Run the same prefetch again when the connection is back: finished files are kept "
            "and only the rest is fetched."
        )
    return error


def _sweep_orphans(repo_id: str) -> None:
    """Delete temporary download files a killed run left (huggingface_hub never reuses them)."""
    from huggingface_hub import constants
    from huggingface_hub.file_download import repo_folder_name

    blobs = Path(constants.HF_HUB_CACHE, repo_folder_name(repo_id=repo_id, repo_type="model"))
    for tmp in (blobs / "blobs").glob("*.incomplete"):
        try:
            if time.time() - tmp.stat().st_mtime > ORPHAN_S:  # a live download writes often
                tmp.unlink()
        except OSError:
            pass


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
