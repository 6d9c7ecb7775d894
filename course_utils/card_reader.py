"""Reading a model card: online from the Hub, offline from the cache, or from a folder.

licenses.py and cards.py judge what the card says; this module only finds and parses it.
Nothing here imports torch or transformers. Parts 4, 8 and 9 read cards through it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .hub import (
    TIMEOUT_S,
    cached_snapshot,
    failure_kind,
    hub_error,
    local_folder,
    offline,
    status_code,
)
from .validate import load_card


@dataclass
class Card:
    """A model card's metadata and text, plus the Hub's numbers when it was read online."""

    model: str
    meta: dict[str, Any]
    text: str
    source: str
    info: Any = None  # huggingface_hub ModelInfo when read online
    needs_access: bool = False  # gated: the card's text is behind the repo's terms


def _card_file(model: str, path: Path | None, source: str) -> Card:
    import logging

    if path is None or not path.is_file():
        return Card(model, {}, "", f"{source} (no README.md model card)")
    log = logging.getLogger("huggingface_hub.repocard")
    level = log.level
    log.setLevel(logging.ERROR)  # a card without metadata is normal here: no warning about it
    try:  # broken YAML, a tab, a list as metadata, a binary README: BadInputError naming it
        card = load_card(path)
    finally:
        log.setLevel(level)
    return Card(model, card.data.to_dict(), card.text, source)


def _card_online(model_id: str) -> Card | None:
    """The card from the Hub; None when the Hub cannot be reached (the cache answers then)."""
    from huggingface_hub import HfApi, hf_hub_download
    from huggingface_hub.errors import RepositoryNotFoundError

    try:
        info = HfApi().model_info(model_id, timeout=TIMEOUT_S)
    except RepositoryNotFoundError as exc:  # GatedRepoError is one: its card is still cached
        if failure_kind(exc) == "gated":
            return None
        raise hub_error(model_id, exc) from None
    except Exception as exc:  # no network (httpx errors are not OSError): use the cache
        if status_code(exc) == 401:  # a rejected token: no cache makes that right
            raise hub_error(model_id, exc) from None
        return None
    try:
        readme = Path(hf_hub_download(model_id, "README.md"))
    except Exception as exc:  # no README.md, or a gated repo's files: the API's metadata copy
        meta = info.card_data.to_dict() if info.card_data is not None else {}
        locked = failure_kind(exc) in ("gated", "401", "403")
        return Card(model_id, meta, "", "the Hub", info, needs_access=locked)
    card = _card_file(model_id, readme, "the Hub")  # a broken card: BadInputError naming it
    card.info = info
    return card


def read_card(model: str | os.PathLike) -> Card:
    """Read a model card: online from the Hub, offline from the cache, or from a folder."""
    folder = local_folder(model)  # checked at the door: a Hub id or a folder, nothing else
    if folder is not None:
        return _card_file(str(model), folder / "README.md", f"the folder {folder.name}/")
    model_id = str(model).strip()
    card = None if offline() else _card_online(model_id)
    if card is not None:
        return card
    snapshot = cached_snapshot(model_id)
    if snapshot is None:
        raise hub_error(model_id, wanted="its card is")
    return _card_file(model_id, snapshot / "README.md", "the cached model card")
