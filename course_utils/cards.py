"""Reading a model card for what it should tell, and finding the most used models for a task.

Nothing here imports torch or transformers (a size from a config is counted by memory.py only
when the Hub does not say it).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from ._display import Table, html_row
from .card_reader import read_card
from .errors import BadInputError
from .hub import hub_error, hub_page, offline
from .licenses import LicenseInfo, license_from_card

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
# Markdown headings have 1 to 6 '#': bounded, so a line of 30,000 '#' cannot make the search
# backtrack for seconds (a learner's cell would hang); the lazy [^\n]*? scans a line once.
_USE_HEADING = re.compile(
    r"^#{1,6}(?!#)[^\n]*?\b(intended use|uses|use cases?|limitations|out-of-scope)\b[^\n]*$",
    re.I | re.M,
)
_IO_HEADING = re.compile(r"^#{1,6}(?!#)[^\n]*?\b(inputs?|outputs?)\b[^\n]*$", re.I | re.M)
_CODE_BLOCK = re.compile(r"```[a-zA-Z]*\n(.*?)```", re.S)


def _section(text: str, heading: re.Pattern[str], limit: int = 300) -> str | None:
    """The first paragraph under the first heading that matches."""
    match = heading.search(text)
    if not match:
        return None
    body = text[match.end() :]
    nxt = re.search(r"^#+\s", body, re.M)
    body = body[: nxt.start()] if nxt else body
    para = next((p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()), "")
    para = " ".join(para.split())
    return (para[: limit - 1] + "…" if len(para) > limit else para) or None


def _said(value: Any, what: str) -> str:
    return str(value) if value not in (None, "", []) else f"(the card does not say {what})"


@dataclass
class CardSummary(Table):
    """The four things a good model card tells, with license, languages and size."""

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
    needs_access: str | None = None  # a gated card: what to do to read its text

    _KEY_WIDTH = 15
    _GAP = " "

    def _title(self) -> str:
        return self.model

    def _rows(self) -> list[tuple[str, str]]:
        lic = self.license
        rows = [
            ("task", _said(self.task, "which task")),
            ("inputs/outputs", _said(self.inputs_outputs, "what goes in and out")),
            ("intended use", self._intended()),
            (
                "license",
                f"{lic.license or 'none'} ({lic.category})" + (", gated" if lic.gated else ""),
            ),
            ("languages", ", ".join(self.languages) or "not stated"),
            ("size", f"{self.params / 1e6:,.1f}M parameters" if self.params else "unknown"),
        ]
        if self.downloads is not None:
            rows.append(("downloads", f"{self.downloads:,} (last 30 days)"))
        if self.likes is not None:
            rows.append(("likes", f"{self.likes:,}"))
        return rows

    def _intended(self) -> str:
        if self.needs_access and not self.intended_use:
            return "(in the card's text, which needs access: see below)"
        return _said(self.intended_use, "what it is for")

    def _note(self) -> str | None:
        if self.needs_access:
            return self.needs_access
        return f"missing from the card: {', '.join(self.missing)}" if self.missing else None

    def _after(self) -> list[str]:
        code = ["    " + line for line in (self.how_to_load or "").splitlines()]
        note = self._note()
        return ["  how to load:", *code, *([f"  {note}"] if note else [])]

    def _after_html(self) -> str:
        import html

        code = html.escape(self.how_to_load or "")
        note = self._note()
        note_html = f"<p><i>{html.escape(note[0].upper() + note[1:])}</i></p>" if note else ""
        return f"<p>How to load:</p><pre>{code}</pre>{note_html}"


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


def _missing_parts(task: Any, io_text: Any, intended: Any, snippet: Any) -> list[str]:
    found = [("task", task), ("intended use", intended), ("how to load", snippet)]
    missing = [name for name, value in found if not value]
    if not io_text and not task:
        missing.insert(1, "inputs/outputs")
    return missing


def _locked(card: Any) -> str | None:
    """What to do when the card's text is behind a gated repo's terms (None when it is not)."""
    if not card.needs_access:
        return None
    return (
        f"the card's text needs access (the model is gated): accept the terms on "
        f"{hub_page(card.model)} and run cu.login() with a token, then ask again. Until then the "
        "rows above are the Hub's public metadata."
    )


def card_summary(model: str | os.PathLike) -> CardSummary:
    """Summarise a model card: task, inputs/outputs, intended use, how to load.

    Part 4 uses it.
    """
    card = read_card(model)
    meta, text, info = card.meta, card.text, card.info
    task = meta.get("pipeline_tag") or getattr(info, "pipeline_tag", None)
    io_text = _section(text, _IO_HEADING)
    intended = _section(text, _USE_HEADING)
    blocks = _CODE_BLOCK.findall(text)
    snippet = next((c.strip() for c in blocks if "from_pretrained" in c or "pipeline(" in c), None)
    missing = [] if card.needs_access else _missing_parts(task, io_text, intended, snippet)
    if snippet is None:
        snippet = (
            f'# not in the card; the course helper:\nmodel, tok = cu.load_model("{card.model}"'
            + (f', task="{task}")' if task else ")")
        )
    languages = meta.get("language") or []
    return CardSummary(
        model=card.model, task=task, inputs_outputs=io_text or _IO.get(task or ""),
        intended_use=intended, how_to_load=snippet, license=license_from_card(card),
        languages=[languages] if isinstance(languages, str) else list(languages),
        params=_param_count(model, info), downloads=getattr(info, "downloads", None),
        likes=getattr(info, "likes", None), missing=missing, needs_access=_locked(card),
    )  # fmt: skip


@dataclass
class ModelRow:
    """One line of ``top_models``: a model id and the two numbers that say how trusted it is."""

    id: str
    downloads: int
    likes: int
    license: str | None


class TopModels(list):
    """A list of ModelRow that shows as a table in a notebook."""

    def _repr_html_(self) -> str:
        rows = "".join(
            html_row(r.id, f"{r.downloads:,}", f"{r.likes:,}", r.license or "?") for r in self
        )
        head = "<tr><th>model</th><th>downloads</th><th>likes</th><th>license</th></tr>"
        return f"<table>{head}{rows}</table>"


def top_models(task: str, n: int = 10) -> TopModels:
    """The most downloaded models for a pipeline task, like the Hub's task filter.

    Part 4 uses it. Offline it prints that it cannot look and returns an empty list, so a
    notebook keeps going.
    """
    if not isinstance(task, str) or not task.strip():
        raise BadInputError(
            f"task must be a pipeline task name such as 'text-generation', not {task!r}."
        )
    if not isinstance(n, int) or n < 1:
        raise BadInputError(f"n must be a positive whole number, not {n!r}.")
    if offline():
        print(
            f"Offline (HF_HUB_OFFLINE is set): cannot list the top {task!r} models now. "
            "On a connected runtime this shows the most downloaded ones."
        )
        return TopModels()
    from huggingface_hub import HfApi

    try:
        found = list(HfApi().list_models(pipeline_tag=task, sort="downloads", limit=n))
    except Exception as exc:  # no network (httpx errors are not OSError) or a Hub hiccup
        if getattr(getattr(exc, "response", None), "status_code", None) == 401:
            raise hub_error("", exc, has_token=True) from None  # a rejected token
        print(
            f"Could not reach the Hub to list {task!r} models ({type(exc).__name__}); "
            "check the connection and run the cell again."
        )
        return TopModels()
    rows = TopModels()
    for m in found:
        tags = m.tags or []
        lic = next((t.split(":", 1)[1] for t in tags if t.startswith("license:")), None)
        rows.append(ModelRow(m.id, m.downloads or 0, m.likes or 0, lic))
    return rows
