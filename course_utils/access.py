"""Hub tokens and gated models: find a token without ever showing it, and check access.

A malformed token is refused in hub.check_token, before any request; refusals become course
errors in hub.hub_error, like every other Hub failure.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from .errors import NotLoggedInError
from .hub import check_token, hub_error, offline, set_token_help, valid_token
from .validate import hub_id, model_ref


@dataclass
class LoginStatus:
    """Whether a Hub token is in place and where it came from; never holds the token itself."""

    logged_in: bool
    source: str | None
    verified: bool | None  # True: the Hub accepted it; None: not checked (offline)
    message: str

    def __str__(self) -> str:
        return self.message

    __repr__ = __str__


def _colab_secret() -> str | None:
    """The Colab secret HF_TOKEN, or None outside Colab or when the secret is missing/denied."""
    try:
        from google.colab import userdata  # type: ignore[import-not-found]
    except ImportError:
        return None
    try:
        raw = userdata.get("HF_TOKEN")
    except Exception:  # SecretNotFoundError, NotebookAccessError, ...
        return None
    return valid_token(raw, "the Colab secret HF_TOKEN")


def _find_token() -> tuple[str | None, str | None]:
    """(token, where it came from), in the course's order: Colab, environment, saved token."""
    from huggingface_hub import get_token

    token = _colab_secret()
    if token:
        return token, "the Colab secret HF_TOKEN"
    for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        token = valid_token(os.environ.get(var), f"the environment variable {var}")
        if token:
            return token, f"the environment variable {var}"
    check_token()  # the saved login file, read as huggingface_hub reads it
    token = get_token()  # the token file written by `hf auth login` / an earlier login
    if token:
        return token, "the token saved by an earlier login"
    return None, None


def _person_can_answer() -> bool:
    """True only where a person can answer a prompt: never in CI or an automated notebook run."""
    if os.environ.get("CI", "").lower() not in {"", "0", "false"}:
        return False
    if "google.colab" in sys.modules:
        return True
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    kernel = getattr(shell, "kernel", None)
    if kernel is not None:  # a Jupyter kernel: nbval and nbclient run with stdin disabled
        return bool(getattr(kernel, "_allow_stdin", False))
    return sys.stdin is not None and sys.stdin.isatty()


def _prompt_for_token(interactive: bool) -> tuple[str | None, str | None, LoginStatus | None]:
    """Ask with the Hub's own prompt when asked to and a person can answer; (token, source, or
    the status saying why not)."""
    if offline():
        message = "Offline and no Hub token found: public and cached models still work."
        return None, None, LoginStatus(False, None, None, f"{message} For gated models later: "
                                       f"{set_token_help()}")  # fmt: skip
    if not interactive:
        message = (
            "No Hub token found: public models work; gated ones need a token. "
            f"{set_token_help()} Or run cu.login(interactive=True) to paste one here."
        )
        return None, None, LoginStatus(False, None, None, message)
    if not _person_can_answer():
        message = f"No Hub token found and nobody here can answer a prompt. {set_token_help()}"
        return None, None, LoginStatus(False, None, None, message)
    import huggingface_hub

    try:
        if "ipykernel" in sys.modules or "google.colab" in sys.modules:
            huggingface_hub.notebook_login()
        else:
            huggingface_hub.login()
    except Exception as exc:
        raise NotLoggedInError(
            f"The login prompt did not complete ({type(exc).__name__}). {set_token_help()}"
        ) from None
    token, _source = _find_token()
    if token is None:
        return (
            None,
            None,
            LoginStatus(False, None, None, f"No token was entered. {set_token_help()}"),
        )
    return token, "the login prompt", None


def _verify(token: str, source: str) -> LoginStatus:
    """Ask the Hub whether it accepts the token (the answer, the account name, is not shown)."""
    if offline():
        message = f"Hub token found in {source}; not checked because this runtime is offline."
        return LoginStatus(True, source, None, message)
    from huggingface_hub import whoami

    try:
        whoami(token=token)
    except Exception as exc:
        error = hub_error("", exc, has_token=True, token_from=f"the token from {source}")
        if isinstance(error, NotLoggedInError):
            raise error from None
        message = f"Hub token found in {source}; the Hub could not be reached to check it."
        return LoginStatus(True, source, None, message)
    return LoginStatus(True, source, True, f"Logged in to the Hub with the token from {source}.")


def login(*, interactive: bool = False) -> LoginStatus:
    """Find a Hub token for gated models without ever showing it.

    Part 8 teaches the library's own calls (``get_token``, ``auth_check``); this is the
    shortcut. Order: the Colab secret HF_TOKEN, the HF_TOKEN environment variable, a saved
    token; with ``interactive=True`` (and a person there to answer) then the Hub's own login
    prompt. Online the token is checked with the Hub; offline that check is skipped and
    the status says so. A malformed token (a space, a line break, a non-ASCII character) is a
    NotLoggedInError naming where it came from.
    """
    token, source = _find_token()
    if token is None:
        token, source, refused = _prompt_for_token(interactive)
        if refused is not None:
            return refused
    return _verify(token, source)


def check_access(model_id: str, *, raise_error: bool = True) -> bool:
    """Whether this runtime's token may download ``model_id``.

    Part 8 uses it. Raises NotLoggedInError, GatedModelError, ModelNotFoundError or
    OfflineError, each naming the next step. With raise_error=False it prints that message and
    returns False instead, so a notebook cell never fails on it.
    """
    from huggingface_hub import auth_check
    from huggingface_hub.errors import OfflineModeIsEnabled

    # at the door: '../../etc' or 123 is no Hub id, and no terms page exists to accept for it
    model_id = hub_id(model_id if isinstance(model_id, str) else str(model_ref(model_id)))
    token, _source = _find_token()
    try:
        if offline():
            raise OfflineModeIsEnabled("offline")
        auth_check(model_id, token=token)
    except Exception as exc:
        error = hub_error(model_id, exc, has_token=token is not None, wanted=None)
        if raise_error:
            raise error from None
        print(error)
        return False
    return True
