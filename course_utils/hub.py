"""Reaching the Hugging Face Hub, and the one place its failures become course errors.

``hub_error`` is the only function that turns a huggingface_hub, transformers or network
exception into a ``CourseError``: every helper that talks to the Hub calls it, so one condition
always gives one class. ``offline()`` is the one offline check, and page links follow
``HF_ENDPOINT``. A malformed token is refused here, before any request (``check_token``);
access.py finds and verifies tokens on top of this. Nothing here imports torch or transformers.
Parts 4, 8 and 9 reach the Hub through these helpers.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .errors import (
    CourseError,
    GatedModelError,
    ModelNotFoundError,
    NotLoggedInError,
    OfflineError,
)
from .validate import model_ref

TIMEOUT_S = 10.0  # seconds one Hub request may wait for an answer (issue 13: fail within 30 s)


def offline() -> bool:
    """True when HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) switched the Hub client off.

    Every Hub-facing helper asks this first, so it also gives huggingface_hub's client a time
    limit (see ``bound_client``): a stalled connection then fails in seconds, not never.
    """
    from huggingface_hub import constants

    bound_client()
    if constants.is_offline_mode():
        return True
    check_token()  # a malformed token: NotLoggedInError before any request
    return False


_BOUND: list[bool] = []


def _bound_request(request: Any) -> None:
    """A request hook: any phase left without a time limit (``timeout=None``) gets one."""
    limits = dict(request.extensions.get("timeout") or {})
    for phase in ("connect", "read", "write", "pool"):
        if limits.get(phase) is None:
            limits[phase] = 5.0 if phase == "connect" else TIMEOUT_S
    request.extensions["timeout"] = limits


DOWN_S = 30.0  # seconds a host counts as unreachable after it failed to answer
_DOWN_UNTIL: dict[str, float] = {}  # "host:port" -> monotonic time it may be tried again


def _hub_unreachable_error() -> type[Exception]:
    """huggingface_hub's offline error: never retried, and its downloads fall back to the cache."""
    from huggingface_hub.errors import OfflineModeIsEnabled

    class HubUnreachable(OfflineModeIsEnabled):
        """The Hub did not answer a moment ago: fail now instead of waiting again."""

    return HubUnreachable


class _FailFast:
    """Wraps a transport: after one timeout or network error, fail at once for ``DOWN_S``.

    huggingface_hub retries each request five times with back-off (minutes on a stalled
    connection); one time limit per request is not enough, so the first failure stands in.
    """

    def __init__(self, inner: Any, unreachable: type[Exception]) -> None:
        self.inner, self.unreachable = inner, unreachable

    def handle_request(self, request: Any) -> Any:
        import time

        import httpx2

        host = f"{request.url.host}:{request.url.port}"
        if time.monotonic() < _DOWN_UNTIL.get(host, 0.0):
            raise self.unreachable(f"Cannot reach {request.url.host}: it did not answer just now.")
        try:
            return self.inner.handle_request(request)
        except (httpx2.TimeoutException, httpx2.NetworkError):
            _DOWN_UNTIL[host] = time.monotonic() + DOWN_S
            raise

    def close(self) -> None:
        self.inner.close()

    def __enter__(self) -> _FailFast:
        self.inner.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.inner.__exit__(*exc)


def _bounded_client_factory() -> Any:
    """huggingface_hub's own client (its request hooks kept), with time limits added.

    Its calls pass ``timeout=None`` explicitly (model_info, get_safetensors_metadata), which
    overrides a client default, so a request hook fills in every missing limit instead.
    """
    import httpx2
    from huggingface_hub.utils import _http

    client = _http.default_client_factory()
    client.timeout = httpx2.Timeout(TIMEOUT_S, connect=5.0)
    hooks = dict(client.event_hooks)
    hooks["request"] = [*hooks.get("request", []), _bound_request]
    client.event_hooks = hooks
    unreachable = _hub_unreachable_error()
    client._transport = _FailFast(client._transport, unreachable)
    for pattern, transport in list(client._mounts.items()):  # proxies from the environment
        if transport is not None:
            client._mounts[pattern] = _FailFast(transport, unreachable)
    return client


def bound_client() -> None:
    """Once per process: time limits on the Hub client and on hf_hub_download's retries."""
    if _BOUND:
        return
    from huggingface_hub import constants, set_client_factory
    from huggingface_hub import file_download as fd

    set_client_factory(_bounded_client_factory)
    constants.HF_HUB_ETAG_TIMEOUT = min(constants.HF_HUB_ETAG_TIMEOUT, int(TIMEOUT_S))
    constants.HF_HUB_DOWNLOAD_TIMEOUT = min(constants.HF_HUB_DOWNLOAD_TIMEOUT, int(TIMEOUT_S))
    if hasattr(fd, "_ETAG_RETRY_TIMEOUT"):
        fd._ETAG_RETRY_TIMEOUT = min(fd._ETAG_RETRY_TIMEOUT, 5)
    _BOUND.append(True)


def token_source() -> str:
    """Where huggingface_hub finds this runtime's token, in its own order (never the token)."""
    from huggingface_hub import constants

    for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        if os.environ.get(var, "").strip():
            return f"the environment variable {var}"
    if Path(constants.HF_TOKEN_PATH).is_file():
        return f"the saved login file {constants.HF_TOKEN_PATH} (from `hf auth login`)"
    return "the Colab secret HF_TOKEN"


def hub_page(model_id: str = "") -> str:
    """A page on the Hub this runtime talks to (``HF_ENDPOINT``): the model's page by default."""
    from huggingface_hub import constants

    return f"{constants.ENDPOINT.rstrip('/')}/{model_id}"


def tokens_page() -> str:
    """Where a Hub account creates its access tokens."""
    return hub_page("settings/tokens")


def set_token_help() -> str:
    """How to give this runtime a Hub token, on Colab and elsewhere."""
    return (
        "On Colab: click the key icon in the left sidebar, add a secret named HF_TOKEN holding a "
        f"read token from {tokens_page()}, and allow this notebook to use it. Elsewhere: set the "
        "environment variable HF_TOKEN before starting Python, or run `hf auth login` in a "
        "terminal."
    )


# ---------------------------------------------------------------------------------------------
# Tokens: a malformed one is refused before any request, and never shown
# ---------------------------------------------------------------------------------------------


def _odd_character(ch: str) -> str:
    names = {" ": "a space", "\n": "a line break", "\r": "a line break", "\t": "a tab"}
    if ch in names:
        return names[ch]
    return "a control character" if ord(ch) < 128 else f"a non-ASCII character (U+{ord(ch):04X})"


def valid_token(raw: Any, source: str) -> str | None:
    """A Hub token as read from ``source`` (spaces around it dropped, as huggingface_hub does);
    None when empty. NotLoggedInError, never showing the token, when it is malformed."""
    if raw is None:
        return None
    value = raw.strip() if isinstance(raw, str) else "\x00"
    where = next(((i, ch) for i, ch in enumerate(value) if not "!" <= ch <= "~"), None)
    if where is None:
        return value or None
    i, ch = where
    raise NotLoggedInError(
        f"The Hub token in {source} is malformed: it holds {_odd_character(ch)} at character "
        f"{i + 1} of {len(value)} (a token is one unbroken word of ASCII letters and digits, "
        f"such as hf_...). Copy it again from {tokens_page()}, put it in {source} in place of "
        "the old one, and run cu.login() again."
    )


def check_token() -> None:
    """NotLoggedInError, before any request, when the token huggingface_hub would send (the
    environment, the saved login) is malformed: a space, a line break or a non-ASCII character
    inside it would be sent as is, or end up in an exception's text."""
    from huggingface_hub import constants

    for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        valid_token(os.environ.get(var), f"the environment variable {var}")
    path = Path(constants.HF_TOKEN_PATH)
    if path.is_file():
        try:
            raw = path.read_bytes().decode("utf-8", errors="replace")
        except OSError:  # unreadable: huggingface_hub cannot use it either
            return
        valid_token(raw, f"the saved login file {path} (from `hf auth login`)")


def local_folder(model: str | os.PathLike) -> Path | None:
    """The folder ``model`` names, or None when it is a Hub id; a CourseError when it is neither
    (validate.model_ref: a number, an empty string, a 300-character id, '../../etc')."""
    ref = model_ref(model)
    return ref if isinstance(ref, Path) else None


def cached_snapshot(model_id: str) -> Path | None:
    """The cached snapshot folder of a Hub model, or None when nothing of it is cached."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import IncompleteSnapshotError

    try:
        return Path(snapshot_download(model_id, local_files_only=True))
    except IncompleteSnapshotError:
        # huggingface_hub 2.4 remembers the repo's file list and calls a snapshot with only the
        # files a course downloads (safetensors, not the pickle copies) incomplete: it is fine
        return Path(snapshot_download(model_id, local_files_only=True, allow_patterns=[]))
    except Exception:  # LocalEntryNotFoundError and friends: not in the cache
        return None


# ---------------------------------------------------------------------------------------------
# The translator
# ---------------------------------------------------------------------------------------------


def status_code(exc: BaseException) -> int | None:
    """The HTTP status a Hub failure carries (401, 403, 404...), or None (no answer at all)."""
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def failure_kind(exc: BaseException | None) -> str:
    """Which condition a Hub failure is: offline, bad-id, no-file, no-repo, gated, 401, 403."""
    from huggingface_hub import errors as hf

    code = status_code(exc) if exc is not None else None
    checks = [
        ("bad-id", isinstance(exc, hf.HFValidationError)),
        ("no-file", isinstance(exc, hf.EntryNotFoundError) and code == 404),
        ("gated", isinstance(exc, hf.GatedRepoError)),
        ("no-repo", isinstance(exc, hf.RepositoryNotFoundError) or code == 404),
        ("401", code == 401),
        ("403", code == 403),
    ]
    return next((kind for kind, hit in checks if hit), "offline")


def _reason(exc: BaseException | None) -> str:
    from huggingface_hub import errors as hf

    code = status_code(exc) if exc is not None else None
    if code:
        return f"the Hub answered {code}"
    if exc is not None and not isinstance(
        exc, (hf.OfflineModeIsEnabled, hf.LocalEntryNotFoundError)
    ):
        return f"{type(exc).__name__}: {exc}"
    from huggingface_hub import constants

    return "HF_HUB_OFFLINE is set" if constants.is_offline_mode() else "the Hub did not answer"


def _unreachable(model_id: str, exc: BaseException | None, wanted: str | None) -> OfflineError:
    if wanted is None:  # an online-only question (access): nothing in a cache answers it
        return OfflineError(
            f"Cannot check access to {model_id} while offline ({_reason(exc)}). On a connected "
            f"runtime: cu.login(), accept the terms on {hub_page(model_id)}, then try again."
        )
    return OfflineError(
        f"{model_id!r}: {wanted} not in the local cache and the Hub cannot be reached "
        f"({_reason(exc)}). Check the spelling, or run this once on a connected runtime so the "
        "files are cached."
    )


def _refused(model_id: str, kind: str, has_token: bool, token_from: str) -> CourseError:
    page, tokens = hub_page(model_id), tokens_page()
    if not has_token and kind in ("gated", "401"):
        return NotLoggedInError(
            f"{model_id} is gated, and no Hub token was found. Step 1: {set_token_help()} "
            f"Step 2: accept the terms on {page}. Then run cu.login() and try again."
        )
    if kind in ("gated", "403"):
        return GatedModelError(
            f"Your token may not download {model_id} yet: accept the terms on {page} "
            "(some authors review requests, which can take a while). With a fine-grained "
            f"token, also tick 'read access to public gated repos' on {tokens}."
        )
    target = f" for {model_id}" if model_id else ""
    return NotLoggedInError(
        f"The Hub rejected {token_from}{target} (expired, revoked or mistyped). Create a new "
        f"read token at {tokens}, put it where the old one was (or remove the old one), and "
        "run cu.login() again."
    )


def _missing(model_id: str, kind: str, exc: BaseException | None) -> ModelNotFoundError:
    if kind == "bad-id":
        return ModelNotFoundError(
            f"{model_id!r} is neither a folder on this machine nor a valid Hub id (ids look "
            "like 'org/name'). Check the path or copy the id from the model's Hub page."
        )
    if kind == "no-file":
        name = getattr(exc, "filename", None) or "the file asked for"
        return ModelNotFoundError(f"{model_id} on the Hub has no {name}.")
    return ModelNotFoundError(
        f"The Hub has no public model called {model_id!r}. Check the spelling (ids are "
        "'org/name', case matters); if it is private, log in with cu.login() first."
    )


def hub_error(
    model_id: str,
    exc: BaseException | None = None,
    *,
    has_token: bool | None = None,
    wanted: str | None = "its files are",
    token_from: str | None = None,
    or_else: str = "",
) -> CourseError:
    """The CourseError for a Hub failure (``exc``; None: offline and not cached), by condition.

    Offline or unreachable and not cached: OfflineError. No such repo, file or valid id:
    ModelNotFoundError. Gated or 401 without a token, or a rejected token: NotLoggedInError.
    Gated or 403 with a token: GatedModelError. ``wanted`` says what the cache lacks (None: an
    online-only question); ``or_else`` is appended as the alternative a helper offers.
    """
    if isinstance(exc, CourseError):  # already a course error (a malformed token, a bad file)
        return exc
    kind = failure_kind(exc)
    if kind == "offline":
        error: CourseError = _unreachable(model_id, exc, wanted)
    elif kind in ("gated", "401", "403"):
        if has_token is None:
            from huggingface_hub import get_token

            has_token = get_token() is not None
        source = token_from or f"the token from {token_source()}"
        error = _refused(model_id, kind, has_token, source)
    else:
        error = _missing(model_id, kind, exc)
    if or_else:
        error.args = (f"{error.args[0]} {or_else}",)
    return error
