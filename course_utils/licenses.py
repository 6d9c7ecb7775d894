"""What a model's license lets you do: its family, commercial use and gating.

Online the card comes from the Hub, offline from the cache, for a folder from its README.md
(card_reader.read_card). Nothing here imports torch or transformers.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._display import Table
from .card_reader import Card, read_card
from .errors import LicenseError
from .hub import hub_page


class LicenseWarning(UserWarning):
    """A license allows use only under conditions that a person has to read."""


_PERMISSIVE = {
    "apache-2.0", "mit", "bsd", "bsd-2-clause", "bsd-3-clause", "bsd-3-clause-clear", "isc",
    "unlicense", "cc0-1.0", "cc-by-2.0", "cc-by-2.5", "cc-by-3.0", "cc-by-4.0", "zlib", "wtfpl",
    "bsl-1.0", "afl-3.0", "ecl-2.0", "ms-pl", "postgresql", "ncsa", "pddl", "odc-by",
    "cdla-permissive-1.0", "cdla-permissive-2.0", "etalab-2.0", "apple-ascl", "openmdw-1.0",
    "artistic-2.0", "ofl-1.1",
}  # fmt: skip
# copyleft: commercial use is allowed, but changes must be shared under the same license
_COPYLEFT = {
    "gpl", "gpl-2.0", "gpl-3.0", "lgpl", "lgpl-2.1", "lgpl-3.0", "lgpl-lr", "agpl-3.0",
    "mpl-2.0", "epl-1.0", "epl-2.0", "eupl-1.1", "eupl-1.2", "osl-3.0", "cc-by-sa-3.0",
    "cc-by-sa-4.0", "cdla-sharing-1.0", "odbl", "gfdl", "lppl-1.3c", "cc-by-nd-4.0",
}  # fmt: skip
_NON_COMMERCIAL = {
    "fair-noncommercial-research-license", "apple-amlr", "intel-research", "h-research",
    "deepfloyd-if-license", "c-uda",
}  # fmt: skip
_NC_WORDS = re.compile(r"\bnc\b|non-?commercial|research[- ]only|research[- ]use|academic", re.I)


_RANK = {"non-commercial": 0, "unknown": 1, "conditional": 2, "permissive": 4}
_SPELLINGS = {"apache": "apache-2.0", "apache-license-2.0": "apache-2.0", "mit-license": "mit"}


def normalise_id(license_id: Any) -> str | None:
    """A license id as the Hub spells it: lower case, dashes for spaces ("Apache 2.0" ->
    "apache-2.0"); None for an empty field or one that is not text (``license: yes``)."""
    if not isinstance(license_id, str) or not license_id.strip():
        return None
    lid = re.sub(r"[\s_]+", "-", license_id.strip().lower())
    lid = re.sub(r"^(apache|gpl|lgpl|agpl|mpl|epl)-?v?(\d)", r"\1-\2", lid)
    return _SPELLINGS.get(lid, lid)


def _classify(license_id: Any, name: Any) -> tuple[str, bool | None, str]:
    """(category, commercial_use, one-line meaning) for a card's license fields."""
    if license_id is not None and not isinstance(license_id, str):
        return "unknown", None, (
            f"the card's license field is {license_id!r}, not a license id (such as "
            "'apache-2.0'): assume no rights until the authors say"
        )  # fmt: skip
    lid = normalise_id(license_id) or ""
    name = name if isinstance(name, str) else None
    if not lid or lid == "unknown":
        return "unknown", None, "the card names no license: assume no rights until the authors say"
    if (
        lid.startswith("cc-by-nc")
        or lid in _NON_COMMERCIAL
        or (lid == "other" and name and _NC_WORDS.search(name))
    ):
        return "non-commercial", False, "research and personal use only: not for a product"
    if lid in _PERMISSIVE:
        return "permissive", True, "commercial use allowed; keep the copyright notice"
    if lid in _COPYLEFT:
        meaning = "commercial use allowed if you share changes under the same terms"
        return "conditional", True, meaning
    # llama2/3/3.1/..., gemma, *openrail*, *rail*, "other" and every custom license
    return "conditional", None, "a custom license with conditions: read the terms before you ship"


def _strictest(license_field: Any, name: Any) -> tuple[Any, tuple[str, bool | None, str]]:
    """(the deciding entry, its classification): every entry of a list is judged, and the most
    restrictive one wins (a list is only as free as its strictest license)."""
    entries = license_field if isinstance(license_field, list) else [license_field]
    if not entries:
        return None, _classify(None, name)

    def rank(entry: Any) -> int:
        category, commercial, _ = _classify(entry, name)
        return _RANK[category] + (1 if commercial else 0)

    best = min(entries, key=rank)
    return best, _classify(best, name)


def _is_gated(meta: dict[str, Any], info: Any = None) -> bool:
    """A model is gated when the Hub says so, or its card carries gated / extra_gated_* fields."""
    if info is not None and getattr(info, "gated", None) is not None:
        return bool(info.gated)
    gated = meta.get("gated")
    if isinstance(gated, str):
        gated = gated.strip().lower() not in {"", "false", "no"}
    return bool(gated) or any(key.startswith("extra_gated_") for key in meta)


@dataclass
class LicenseInfo(Table):
    """What a model's license lets you do: the id, its family, commercial use, gating."""

    model: str
    license: str | None
    category: str  # "permissive" | "conditional" | "non-commercial" | "unknown"
    commercial_use: bool | None  # None: it depends on terms a person has to read
    gated: bool
    license_name: str | None = None
    license_link: str | None = None
    meaning: str = ""
    source: str = ""

    _KEY_WIDTH = 15
    _GAP = " "

    @property
    def page(self) -> str:
        """Where the card (and, for a gated model, the terms form) is."""
        return self.model if Path(self.model).expanduser().is_dir() else hub_page(self.model)

    def _title(self) -> str:
        return self.model

    def _gated_text(self) -> str:
        if not self.gated:
            return "no"
        if self.page.startswith("http"):
            return f"yes: accept the terms on {self.page}, then cu.login()"
        return "yes: the card asks users to accept terms"

    def _rows(self) -> list[tuple[str, str]]:
        name = self.license or "none given"
        if self.license_name and self.license_name != self.license:
            name += f" ({self.license_name})"
        uses = {True: "yes", False: "no", None: "depends on the terms: read them"}
        use = uses[self.commercial_use]
        if self.category == "unknown":
            use = "unknown: no license stated"
        rows = [
            ("license", name),
            ("category", f"{self.category}: {self.meaning}"),
            ("commercial use", use),
            ("gated", self._gated_text()),
        ]
        if self.license_link:
            rows.append(("terms", self.license_link))
        rows.append(("read from", self.source))
        return rows


def license_from_card(card: Card) -> LicenseInfo:
    """The LicenseInfo of a card that has been read already."""
    meta = card.meta
    field, name = meta.get("license"), _text(meta.get("license_name"))
    entry, (category, commercial, meaning) = _strictest(field, name)
    lid = normalise_id(entry) if isinstance(entry, str) else None
    if isinstance(field, list) and len(field) > 1:
        meaning += f" ({lid or entry!r} is the strictest of {', '.join(map(str, field))})"
    return LicenseInfo(
        model=card.model, license=lid, category=category, commercial_use=commercial,
        gated=_is_gated(meta, card.info), license_name=name,
        license_link=_text(meta.get("license_link")), meaning=meaning, source=card.source,
    )  # fmt: skip


def _text(value: Any) -> str | None:
    """A card field that should be text: None when it is missing or not text."""
    return value.strip() if isinstance(value, str) and value.strip() else None


def license_info(model: str | os.PathLike) -> LicenseInfo:
    """The license of a Hub model or local folder, sorted into a family.

    Parts 8 and 9 use it. Online it asks the Hub; offline it reads the cached model card; for a
    folder, its README.md.
    """
    return license_from_card(read_card(model))


def check_license(model: str | os.PathLike | LicenseInfo, commercial: bool = True) -> LicenseInfo:
    """Stop before building on a model whose license forbids the use.

    Parts 8 and 9 use it. Raises LicenseError for a non-commercial license when ``commercial``
    is True, warns (LicenseWarning) for conditional and unknown licenses, and is silent for
    permissive ones.
    """
    info = model if isinstance(model, LicenseInfo) else license_info(model)
    name = info.license_name or info.license
    if info.category == "non-commercial" and commercial:
        raise LicenseError(
            f"{info.model} is licensed {name} ({info.meaning}). A product needs a model whose "
            "license is permissive: list_models(filter='license:apache-2.0') finds them. For a "
            "personal or research project, pass commercial=False."
        )
    if info.category == "conditional" and info.commercial_use is not True:
        warnings.warn(
            f"{info.model} uses the {name} license, which has conditions (acceptable use, user "
            f"limits). Read {info.license_link or info.page} before you ship anything built on it.",
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
