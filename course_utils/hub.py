"""Finding, vetting and accessing models on the Hugging Face Hub (parts 1, 8 and 9).

Every helper works offline too: a Hub id is then read from the local cache (the model card
that a download already stored), and a local folder from its README.md card. Nothing here
imports torch or transformers.
"""

from __future__ import annotations

import html
import os
import re
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import (
    BadInputError,
    CourseError,
    GatedModelError,
    LicenseError,
    ModelNotFoundError,
    NotLoggedInError,
    OfflineError,
)

TOKENS_PAGE = "https://huggingface.co/settings/tokens"
SET_TOKEN_HELP = (
    "On Colab: click the key icon in the left sidebar, add a secret named HF_TOKEN holding a "
    f"read token from {TOKENS_PAGE}, and allow this notebook to use it. Elsewhere: set the "
    "environment variable HF_TOKEN before starting Python, or run `hf auth login` in a terminal."
)


class LicenseWarning(UserWarning):
    """A license allows use only under conditions that a person has to read."""


# ---------------------------------------------------------------------------------------------
# Where a model lives: a local folder or a Hub id (online, or from the cache offline)
# ---------------------------------------------------------------------------------------------

def _offline() -> bool:
    """True when HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) switched the Hub client off."""
    from huggingface_hub import constants

    return constants.is_offline_mode()


def hub_page(model_id: str) -> str:
    """The model's page on the Hub: where its card is read and its terms are accepted."""
    from huggingface_hub import constants

    return f"{constants.ENDPOINT.rstrip('/')}/{model_id}"


def _local_folder(model: str | os.PathLike) -> Path | None:
    """The folder `model` names, or None when it is a Hub id; raises if it is neither."""
    path = Path(model).expanduser()
    if path.is_dir():
        return path
    from huggingface_hub.utils import validate_repo_id

    try:
        validate_repo_id(str(model))
    except Exception:  # HFValidationError: not an "org/name" id
        raise ModelNotFoundError(
            f"{str(model)!r} is neither a folder on this machine nor a valid Hub id "
            "(ids look like 'org/name'). Check the path or copy the id from the model's Hub page."
        ) from None
    return None


def cached_snapshot(model_id: str) -> Path | None:
    """The cached snapshot folder of a Hub model, or None when nothing of it is cached."""
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(model_id, local_files_only=True))
    except Exception:  # LocalEntryNotFoundError and friends: not in the cache
        return None


def not_cached_error(model_id: str) -> CourseError:
    """The error for a Hub id that is not in the cache while the Hub cannot be used."""
    if _offline():
        return OfflineError(
            f"{model_id!r} is not in the local model cache and this runtime is offline "
            "(HF_HUB_OFFLINE is set). Check the spelling, or run this once on a connected "
            "runtime so the files are cached."
        )
    return ModelNotFoundError(
        f"{model_id!r} could not be reached on the Hub and is not in the local cache. "
        f"Check the spelling on {hub_page(model_id)} and your internet connection."
    )


def _not_found(model_id: str) -> ModelNotFoundError:
    return ModelNotFoundError(
        f"The Hub has no public model called {model_id!r}. Check the spelling (ids are "
        "'org/name', case matters); if it is private, log in with cu.login() first."
    )


@dataclass
class _Card:
    """A model card's metadata and text, plus the Hub's numbers when it was read online."""

    model: str
    meta: dict[str, Any]
    text: str
    source: str
    info: Any = None  # huggingface_hub ModelInfo when read online


def _load_card_file(model: str, path: Path | None, source: str) -> _Card:
    from huggingface_hub import ModelCard

    if path is None or not path.is_file():
        return _Card(model, {}, "", f"{source} (no README.md model card)")
    import logging

    log = logging.getLogger("huggingface_hub.repocard")
    level = log.level
    log.setLevel(logging.ERROR)  # a card without metadata is normal here: no warning about it
    try:
        card = ModelCard.load(path, ignore_metadata_errors=True)
    finally:
        log.setLevel(level)
    return _Card(model, card.data.to_dict(), card.text, source)


def _read_card(model: str | os.PathLike) -> _Card:
    """Read a model card: online from the Hub, offline from the cache, or from a folder."""
    folder = _local_folder(model)
    if folder is not None:
        return _load_card_file(str(model), folder / "README.md", f"the folder {folder.name}/")
    model_id = str(model)
    if not _offline():
        from huggingface_hub import HfApi, ModelCard
        from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

        try:
            info = HfApi().model_info(model_id)
        except GatedRepoError:
            info = None
        except RepositoryNotFoundError:
            raise _not_found(model_id) from None
        except Exception:  # no network (httpx errors are not OSError): use the cache below
            info = None
        if info is not None:
            try:
                card = ModelCard.load(model_id, ignore_metadata_errors=True)
                meta, text = card.data.to_dict(), card.text
            except Exception:  # no README.md, or a gated repo's files: the API's copy of the metadata
                meta = info.card_data.to_dict() if info.card_data is not None else {}
                text = ""
            return _Card(model_id, meta, text, "the Hub", info)
    snapshot = cached_snapshot(model_id)
    if snapshot is None:
        raise not_cached_error(model_id)
    return _load_card_file(model_id, snapshot / "README.md", "the cached model card")


# ---------------------------------------------------------------------------------------------
# Licenses
# ---------------------------------------------------------------------------------------------

_PERMISSIVE = {
    "apache-2.0", "mit", "bsd", "bsd-2-clause", "bsd-3-clause", "bsd-3-clause-clear", "isc",
    "unlicense", "cc0-1.0", "cc-by-2.0", "cc-by-2.5", "cc-by-3.0", "cc-by-4.0", "zlib", "wtfpl",
    "bsl-1.0", "afl-3.0", "ecl-2.0", "ms-pl", "postgresql", "ncsa", "pddl", "odc-by",
    "cdla-permissive-1.0", "cdla-permissive-2.0", "etalab-2.0", "apple-ascl", "openmdw-1.0",
    "artistic-2.0", "ofl-1.1",
}
# copyleft: commercial use is allowed, but changes must be shared under the same license
_COPYLEFT = {
    "gpl", "gpl-2.0", "gpl-3.0", "lgpl", "lgpl-2.1", "lgpl-3.0", "lgpl-lr", "agpl-3.0",
    "mpl-2.0", "epl-1.0", "epl-2.0", "eupl-1.1", "eupl-1.2", "osl-3.0", "cc-by-sa-3.0",
    "cc-by-sa-4.0", "cdla-sharing-1.0", "odbl", "gfdl", "lppl-1.3c", "cc-by-nd-4.0",
}
_NON_COMMERCIAL = {
    "fair-noncommercial-research-license", "apple-amlr", "intel-research", "h-research",
    "deepfloyd-if-license", "c-uda",
}
_NC_WORDS = re.compile(r"\bnc\b|non-?commercial|research[- ]only|research[- ]use|academic", re.I)


def _classify(license_id: str | None, name: str | None) -> tuple[str, bool | None, str]:
    """(category, commercial_use, one-line meaning) for a card's license fields."""
    lid = (license_id or "").strip().lower()
    if not lid or lid == "unknown":
        return "unknown", None, "the card names no license: assume no rights until the authors say"
    if lid.startswith("cc-by-nc") or lid in _NON_COMMERCIAL or (
        lid == "other" and name and _NC_WORDS.search(name)
    ):
        return "non-commercial", False, "research and personal use only: not for a product"
    if lid in _PERMISSIVE:
        return "permissive", True, "commercial use allowed; keep the copyright notice"
    if lid in _COPYLEFT:
        return "conditional", True, "commercial use allowed if you share changes under the same terms"
    # llama2/3/3.1/..., gemma, *openrail*, *rail*, "other" and every custom license
    return "conditional", None, "a custom license with conditions: read the terms before you ship"


def _is_gated(meta: dict[str, Any], info: Any = None) -> bool:
    """A model is gated when the Hub says so, or its card carries gated / extra_gated_* fields."""
    if info is not None and getattr(info, "gated", None) is not None:
        return bool(info.gated)
    gated = meta.get("gated")
    if isinstance(gated, str):
        gated = gated.strip().lower() not in {"", "false", "no"}
    return bool(gated) or any(key.startswith("extra_gated_") for key in meta)


@dataclass
class LicenseInfo:
    """What a model's license lets you do (part 8): the id, its family, commercial use, gating."""

    model: str
    license: str | None
    category: str  # "permissive" | "conditional" | "non-commercial" | "unknown"
    commercial_use: bool | None  # None: it depends on terms a person has to read
    gated: bool
    license_name: str | None = None
    license_link: str | None = None
    meaning: str = ""
    source: str = ""

    @property
    def page(self) -> str:
        """Where the card (and, for a gated model, the terms form) is."""
        return self.model if Path(self.model).expanduser().is_dir() else hub_page(self.model)

    def _rows(self) -> list[tuple[str, str]]:
        name = self.license or "none given"
        if self.license_name and self.license_name != self.license:
            name += f" ({self.license_name})"
        use = {True: "yes", False: "no", None: "depends on the terms: read them"}[self.commercial_use]
        if self.category == "unknown":
            use = "unknown: no license stated"
        gated = "no"
        if self.gated:
            gated = (f"yes: accept the terms on {self.page}, then cu.login()"
                     if self.page.startswith("http") else "yes: the card asks users to accept terms")
        rows = [
            ("license", name),
            ("category", f"{self.category}: {self.meaning}"),
            ("commercial use", use),
            ("gated", gated),
        ]
        if self.license_link:
            rows.append(("terms", self.license_link))
        rows.append(("read from", self.source))
        return rows

    def __str__(self) -> str:
        return "\n".join([self.model, *(f"  {k:<15} {v}" for k, v in self._rows())])

    def _repr_html_(self) -> str:
        cells = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
            f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
            for k, v in self._rows()
        )
        return f"<b>{html.escape(self.model)}</b><table>{cells}</table>"


def _license_from_card(card: _Card) -> LicenseInfo:
    meta = card.meta
    lid = meta.get("license")
    if isinstance(lid, list):  # a few cards list several; the first is the main one
        lid = lid[0] if lid else None
    category, commercial, meaning = _classify(lid, meta.get("license_name"))
    return LicenseInfo(
        model=card.model, license=lid, category=category, commercial_use=commercial,
        gated=_is_gated(meta, card.info), license_name=meta.get("license_name"),
        license_link=meta.get("license_link"), meaning=meaning, source=card.source,
    )


def license_info(model: str | os.PathLike) -> LicenseInfo:
    """The license of a Hub model or local folder, sorted into a family (part 8).

    Online it asks the Hub; offline it reads the cached model card; for a folder, its README.md.
    """
    return _license_from_card(_read_card(model))


def check_license(model: str | os.PathLike | LicenseInfo, commercial: bool = True) -> LicenseInfo:
    """Stop before building on a model whose license forbids the use (part 9).

    Raises LicenseError for a non-commercial license when `commercial` is True, warns
    (LicenseWarning) for conditional and unknown licenses, and is silent for permissive ones.
    """
    info = model if isinstance(model, LicenseInfo) else license_info(model)
    if info.category == "non-commercial" and commercial:
        raise LicenseError(
            f"{info.model} is licensed {info.license_name or info.license} ({info.meaning}). "
            "Pick a model with a permissive license for a product (filter the Hub by "
            "Apache-2.0 or MIT), or pass commercial=False for a personal or research project."
        )
    if info.category == "conditional" and info.commercial_use is not True:
        warnings.warn(
            f"{info.model} uses the {info.license_name or info.license} license, which has "
            f"conditions (acceptable use, user limits). Read {info.license_link or info.page} "
            "before you ship anything built on it.",
            LicenseWarning,
            stacklevel=2,
        )
    elif info.category == "unknown":
        warnings.warn(
            f"{info.model}: the card names no license, so nothing grants you the right to use it "
            "in a product. Ask the authors, or choose a model with a stated license.",
            LicenseWarning,
            stacklevel=2,
        )
    return info


# ---------------------------------------------------------------------------------------------
# Model cards
# ---------------------------------------------------------------------------------------------

# What goes in and out, per pipeline task (the card's "inputs and outputs" when it is silent)
_IO = {
    "text-generation": "text (or chat messages) in, generated text out",
    "text-classification": "text in, a label with a score out",
    "token-classification": "text in, a label per word (entities) out",
    "fill-mask": "text with a mask token in, candidate words with scores out",
    "feature-extraction": "text in, one vector per token (or per sentence) out",
    "sentence-similarity": "sentences in, embeddings / similarity scores out",
    "image-classification": "an image in, labels with scores out",
    "automatic-speech-recognition": "audio (16 kHz) in, a transcript out",
    "image-text-to-text": "images and text in, generated text out",
    "zero-shot-classification": "text and candidate labels in, scores per label out",
    "translation": "text in one language in, text in another out",
    "summarization": "a long text in, a short summary out",
}
_USE_HEADING = re.compile(r"^#+\s*.*\b(intended use|uses|use cases?|limitations|out-of-scope)\b.*$",
                          re.I | re.M)
_CODE_BLOCK = re.compile(r"```[a-zA-Z]*\n(.*?)```", re.S)


def _section(text: str, heading: re.Pattern[str], limit: int = 300) -> str | None:
    """The first paragraph under the first heading that matches."""
    match = heading.search(text)
    if not match:
        return None
    body = text[match.end():]
    nxt = re.search(r"^#+\s", body, re.M)
    body = body[: nxt.start()] if nxt else body
    para = next((p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()), "")
    para = " ".join(para.split())
    return (para[: limit - 1] + "…" if len(para) > limit else para) or None


@dataclass
class CardSummary:
    """The four things a good model card tells (part 8), with license, languages and size."""

    model: str
    task: str | None
    inputs_outputs: str | None
    intended_use: str | None
    how_to_load: str | None
    license: LicenseInfo
    languages: list[str] = field(default_factory=list)
    params: int | None = None
    downloads: int | None = None
    likes: int | None = None
    missing: list[str] = field(default_factory=list)  # which of the four the card leaves out

    def _rows(self) -> list[tuple[str, str]]:
        def show(value: Any, what: str) -> str:
            return str(value) if value not in (None, "", []) else f"(the card does not say {what})"

        size = f"{self.params / 1e6:,.1f}M parameters" if self.params else "unknown"
        rows = [
            ("task", show(self.task, "which task")),
            ("inputs/outputs", show(self.inputs_outputs, "what goes in and out")),
            ("intended use", show(self.intended_use, "what it is for")),
            ("license", f"{self.license.license or 'none'} ({self.license.category})"
                        + (", gated" if self.license.gated else "")),
            ("languages", ", ".join(self.languages) or "not stated"),
            ("size", size),
        ]
        if self.downloads is not None:
            rows.append(("downloads", f"{self.downloads:,} (last 30 days)"))
        if self.likes is not None:
            rows.append(("likes", f"{self.likes:,}"))
        return rows

    def __str__(self) -> str:
        lines = [self.model, *(f"  {k:<15} {v}" for k, v in self._rows())]
        lines += ["  how to load:", *("    " + ln for ln in (self.how_to_load or "").splitlines())]
        if self.missing:
            lines.append(f"  missing from the card: {', '.join(self.missing)}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        cells = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
            f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
            for k, v in self._rows()
        )
        code = html.escape(self.how_to_load or "")
        missing = (f"<p><i>Missing from the card: {html.escape(', '.join(self.missing))}</i></p>"
                   if self.missing else "")
        return (f"<b>{html.escape(self.model)}</b><table>{cells}</table>"
                f"<p>How to load:</p><pre>{code}</pre>{missing}")


def _param_count(model: str | os.PathLike, info: Any) -> int | None:
    """Parameters from the Hub's safetensors summary online, else from the config (memory.py)."""
    total = getattr(getattr(info, "safetensors", None), "total", None)
    if total:
        return int(total)
    try:
        from .memory import estimate_memory

        return int(estimate_memory(model).params)
    except Exception:  # no config cached, an architecture it cannot count: size unknown
        return None


def card_summary(model: str | os.PathLike) -> CardSummary:
    """Summarise a model card: task, inputs/outputs, intended use, how to load (part 8)."""
    card = _read_card(model)
    meta, text = card.meta, card.text
    task = meta.get("pipeline_tag") or getattr(card.info, "pipeline_tag", None)
    io_text = _section(text, re.compile(r"^#+\s*.*\b(inputs?|outputs?)\b.*$", re.I | re.M))
    intended = _section(text, _USE_HEADING)
    snippet = next((c.strip() for c in _CODE_BLOCK.findall(text)
                    if "from_pretrained" in c or "pipeline(" in c), None)
    missing = [name for name, value in [("task", task), ("intended use", intended),
                                        ("how to load", snippet)] if not value]
    if not io_text and not task:
        missing.insert(1, "inputs/outputs")
    if snippet is None:
        snippet = (f'# not in the card; the course helper:\nmodel, tok = cu.load_model("{card.model}"'
                   + (f', task="{task}")' if task else ")"))
    languages = meta.get("language") or []
    info = card.info
    return CardSummary(
        model=card.model, task=task, inputs_outputs=io_text or _IO.get(task or ""),
        intended_use=intended, how_to_load=snippet, license=_license_from_card(card),
        languages=[languages] if isinstance(languages, str) else list(languages),
        params=_param_count(model, info),
        downloads=getattr(info, "downloads", None), likes=getattr(info, "likes", None),
        missing=missing,
    )


@dataclass
class ModelRow:
    """One line of `top_models`: a model id and the two numbers that say how trusted it is."""

    id: str
    downloads: int
    likes: int
    license: str | None


class TopModels(list):
    """A list of ModelRow that shows as a table in a notebook."""

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(r.id)}</td><td>{r.downloads:,}</td><td>{r.likes:,}</td>"
            f"<td>{html.escape(r.license or '?')}</td></tr>" for r in self
        )
        return ("<table><tr><th>model</th><th>downloads</th><th>likes</th><th>license</th></tr>"
                f"{rows}</table>")


def top_models(task: str, n: int = 10) -> TopModels:
    """The most downloaded models for a pipeline task, like the Hub's task filter (part 8).

    Offline it prints that it cannot look and returns an empty list, so a notebook keeps going.
    """
    if not isinstance(task, str) or not task.strip():
        raise BadInputError(f"task must be a pipeline task name such as 'text-generation', not {task!r}.")
    if not isinstance(n, int) or n < 1:
        raise BadInputError(f"n must be a positive whole number, not {n!r}.")
    if _offline():
        print(f"Offline (HF_HUB_OFFLINE is set): cannot list the top {task!r} models now. "
              "On a connected runtime this shows the most downloaded ones.")
        return TopModels()
    from huggingface_hub import HfApi

    try:
        found = list(HfApi().list_models(pipeline_tag=task, sort="downloads", limit=n))
    except Exception as exc:  # no network (httpx errors are not OSError) or a Hub hiccup
        print(f"Could not reach the Hub to list {task!r} models ({type(exc).__name__}); "
              "check the connection and run the cell again.")
        return TopModels()
    rows = TopModels()
    for m in found:
        lic = next((t.split(":", 1)[1] for t in (m.tags or []) if t.startswith("license:")), None)
        rows.append(ModelRow(m.id, m.downloads or 0, m.likes or 0, lic))
    return rows


# ---------------------------------------------------------------------------------------------
# Tokens and gated access
# ---------------------------------------------------------------------------------------------

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
        return (userdata.get("HF_TOKEN") or "").strip() or None
    except Exception:  # SecretNotFoundError, NotebookAccessError, ...
        return None


def _find_token() -> tuple[str | None, str | None]:
    """(token, where it came from), in the course's order: Colab, environment, saved token."""
    from huggingface_hub import get_token

    token = _colab_secret()
    if token:
        return token, "the Colab secret HF_TOKEN"
    for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        token = (os.environ.get(var) or "").strip()
        if token:
            return token, f"the environment variable {var}"
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


def _status_code(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def login() -> LoginStatus:
    """Find a Hub token for gated models without ever showing it (part 8).

    Order: the Colab secret HF_TOKEN, the HF_TOKEN environment variable, a saved token, and
    only when a person is there to answer, the Hub's own login prompt. Online the token is
    checked with the Hub; offline that check is skipped and the status says so.
    """
    token, source = _find_token()
    if token is None:
        if _offline():
            return LoginStatus(False, None, None,
                               "Offline and no Hub token found: public and cached models still "
                               f"work. For gated models later: {SET_TOKEN_HELP}")
        if not _person_can_answer():
            return LoginStatus(False, None, None,
                               f"No Hub token found and nobody here can answer a prompt. {SET_TOKEN_HELP}")
        import huggingface_hub

        try:
            if "ipykernel" in sys.modules or "google.colab" in sys.modules:
                huggingface_hub.notebook_login()
            else:
                huggingface_hub.login()
        except Exception as exc:
            raise NotLoggedInError(
                f"The login prompt did not complete ({type(exc).__name__}). {SET_TOKEN_HELP}"
            ) from None
        token, source = _find_token()
        if token is None:
            return LoginStatus(False, None, None, f"No token was entered. {SET_TOKEN_HELP}")
        source = "the login prompt"
    if _offline():
        return LoginStatus(True, source, None,
                           f"Hub token found in {source}; not checked because this runtime is offline.")
    from huggingface_hub import whoami

    try:
        whoami(token=token)  # the answer (the account name) is not shown
    except Exception as exc:
        if _status_code(exc) == 401:
            raise NotLoggedInError(
                f"The Hub rejected the token from {source} (expired, revoked or mistyped). "
                f"Create a new read token at {TOKENS_PAGE} and put it in {source}."
            ) from None
        return LoginStatus(True, source, None,
                           f"Hub token found in {source}; the Hub could not be reached to check it.")
    return LoginStatus(True, source, True, f"Logged in to the Hub with the token from {source}.")


def access_error(model_id: str, exc: BaseException, has_token: bool) -> CourseError:
    """Turn a Hub refusal (401/403/404/offline) into a CourseError that names the next step."""
    from huggingface_hub.errors import GatedRepoError, OfflineModeIsEnabled, RepositoryNotFoundError

    page = hub_page(model_id)
    code = _status_code(exc)
    if isinstance(exc, OfflineModeIsEnabled) or (code is None and not isinstance(
            exc, (GatedRepoError, RepositoryNotFoundError))):
        return OfflineError(
            f"Cannot check access to {model_id} while offline. On a connected runtime: "
            f"cu.login(), accept the terms on {page}, then try again."
        )
    if not has_token and (isinstance(exc, GatedRepoError) or code == 401):
        return NotLoggedInError(
            f"{model_id} is gated, and no Hub token was found. Step 1: {SET_TOKEN_HELP} "
            f"Step 2: accept the terms on {page}. Then run cu.login() and try again."
        )
    if isinstance(exc, GatedRepoError) or code == 403:
        return GatedModelError(
            f"Your token may not download {model_id} yet: accept the terms on {page} "
            "(some authors review requests, which can take a while). With a fine-grained "
            f"token, also tick 'read access to public gated repos' on {TOKENS_PAGE}."
        )
    if code == 401:
        return NotLoggedInError(
            f"The Hub rejected your token for {model_id}. Create a new read token at "
            f"{TOKENS_PAGE}, store it as HF_TOKEN, and run cu.login() again."
        )
    return _not_found(model_id)


def check_access(model_id: str, *, raise_error: bool = True) -> bool:
    """Whether this runtime's token may download `model_id` (part 8).

    Raises NotLoggedInError, GatedModelError, ModelNotFoundError or OfflineError, each naming
    the next step. With raise_error=False it prints that message and returns False instead,
    so a notebook cell never fails on it.
    """
    from huggingface_hub import auth_check

    token, _source = _find_token()
    try:
        if _offline():
            from huggingface_hub.errors import OfflineModeIsEnabled

            raise OfflineModeIsEnabled("offline")
        auth_check(model_id, token=token)
    except Exception as exc:
        error = access_error(model_id, exc, has_token=token is not None)
        if raise_error:
            raise error from None
        print(error)
        return False
    return True
