"""The doctor's two network checks: does the Hub answer, and does it accept this runtime's token.

Each request has a hard limit (``HUB_TIMEOUT_S``): the check runs in a thread and the doctor
moves on when the limit passes, so a stalled connection costs 5 s, not minutes. The token is
found the way huggingface_hub finds it and is never printed, not even partly; where it came from
and the pages to fix it come from hub.py (they follow ``HF_ENDPOINT``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from .checks import Line, dist_version

HUB_TIMEOUT_S = 5.0
PROBE_MODEL = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"  # Part 1's model
NO_ANSWER_FIX = (
    "check the internet connection (on Colab: Runtime → Restart session); behind a proxy set "
    "HTTPS_PROXY; an HF_ENDPOINT mirror must be up; or work offline with HF_HUB_OFFLINE=1 from "
    "the cache"
)


def with_deadline(fn: Callable[[], Any], seconds: float) -> tuple[Any, str | None]:
    """Run fn() in a thread; (result, None) or (None, 'reason') within ``seconds``, never later."""
    box: dict = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except Exception as exc:  # reported, not raised: the doctor must finish
            box["error"] = f"{type(exc).__name__}: {exc}"

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        return None, f"no answer within {seconds:g} s"
    return box.get("value"), box.get("error")


def _status(url: str, token: str | None, timeout: float) -> int:
    """The HTTP status of one GET, anonymous unless ``token`` is given."""
    from huggingface_hub.utils import build_hf_headers, get_session

    headers = build_hf_headers(token=token or False)
    return get_session().get(url, headers=headers, timeout=timeout).status_code


def _ask(url: str, token: str | None, timeout: float) -> tuple[int | None, str | None]:
    return with_deadline(lambda: _status(url, token, timeout), timeout)


def hub_line(endpoint: str, offline: bool, timeout: float = HUB_TIMEOUT_S) -> Line:
    """Whether the Hub at ``endpoint`` answers an anonymous request within ``timeout`` seconds."""
    if offline:
        return Line(
            "hub", "not checked: offline mode (HF_HUB_OFFLINE=1), models come from the cache only"
        )
    status, error = _ask(f"{endpoint}/api/models/{PROBE_MODEL}", None, timeout)
    if error:
        return Line("hub", f"{endpoint} does not answer ({error})", NO_ANSWER_FIX)
    if status == 200:
        return Line("hub", f"{endpoint} answers")
    return Line(
        "hub",
        f"{endpoint} answered HTTP {status} for a public model",
        "the Hub may be down (see status.huggingface.co) or HF_ENDPOINT points at the "
        "wrong server; try again in a few minutes",
    )


def _find_token() -> tuple[str | None, str]:
    """(token, where it came from), as huggingface_hub finds it; the token is never printed."""
    from huggingface_hub import get_token

    from .hub import token_source

    try:
        token = get_token()
    except Exception:  # HF_OIDC_RESOURCE set and its exchange failed: no usable token
        token = None
    return (token, token_source()) if token else (None, "")


def _verdict(status: int, source: str) -> Line:
    """The token row for the Hub's answer to whoami."""
    from .hub import tokens_page

    if status == 200:
        return Line("hf token", f"present (from {source}) and accepted by the Hub")
    if status == 401:
        return Line(
            "hf token",
            f"present (from {source}) but REJECTED (HTTP 401: invalid or revoked)",
            f"create a new read token at {tokens_page()} and put it where the old one was (on "
            "Colab: the secret HF_TOKEN under the key icon on the left; elsewhere the HF_TOKEN "
            "variable or `hf auth login`), then restart the runtime",
        )
    return Line(
        "hf token",
        f"present (from {source}); the Hub answered HTTP {status}",
        "try again in a few minutes",
    )


def token_line(endpoint: str, offline: bool, hub_ok: bool, timeout: float = HUB_TIMEOUT_S) -> Line:
    """Whether a token is present and whether the Hub accepts it; the token itself never shows."""
    token, source = _find_token()
    if not token:
        return Line("hf token", "none (public models work; gated ones need it: Part 8)")
    if offline or not hub_ok:
        return Line("hf token", f"present (from {source}); not checked, the Hub is not reachable")
    status, error = _ask(f"{endpoint}/api/whoami-v2", token, timeout)
    if error:
        return Line(
            "hf token",
            f"present (from {source}); the check got no answer ({error})",
            "run cu.doctor() again when the Hub answers",
        )
    return _verdict(status, source)


def hub_lines(timeout: float = HUB_TIMEOUT_S) -> list[Line]:
    """The Hub and token rows, honouring HF_HUB_OFFLINE and HF_ENDPOINT as huggingface_hub does."""
    if dist_version("huggingface_hub") is None:
        return [
            Line(
                "hub",
                "not checked: huggingface_hub is not installed",
                'pip install "practical-pytorch[course]"',
            )
        ]
    from huggingface_hub import constants

    offline = bool(constants.is_offline_mode())
    hub = hub_line(constants.ENDPOINT, offline, timeout)
    return [hub, token_line(constants.ENDPOINT, offline, hub.ok and not offline, timeout)]
