"""Each public helper's docstring names exactly the parts whose notebooks call ``cu.<name>``.

The convention is one sentence in the docstring: "Part 8 uses it." or "Parts 3, 8 and 9 use it."
(what follows in brackets, such as "(Part 8 teaches it)", is free text). A helper that no
notebook calls has no such sentence. The notebooks are scanned, so the pointers cannot drift.
"""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest

import course_utils

NOTEBOOKS = sorted(
    (Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb")
)
POINTER = re.compile(r"\bParts? (\d+(?:(?:, | and )\d+)*) uses? it\b")


def _parts_calling() -> dict[str, set[int]]:
    """name -> the part numbers whose notebook code cells mention ``cu.<name>``."""
    calls: dict[str, set[int]] = {}
    for path in NOTEBOOKS:
        part = int(path.name[:2])
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        for name in set(re.findall(r"\bcu\.([A-Za-z_]\w*)", code)):
            calls.setdefault(name, set()).add(part)
    return calls


CALLS = _parts_calling()


def pointer_sentence(parts: set[int]) -> str:
    """The sentence the convention asks for: "Part 8 uses it." / "Parts 3, 8 and 9 use it."."""
    numbers = [str(p) for p in sorted(parts)]
    if len(numbers) == 1:
        return f"Part {numbers[0]} uses it."
    return f"Parts {', '.join(numbers[:-1])} and {numbers[-1]} use it."


def parts_named(doc: str) -> list[set[int]]:
    """The part sets named by each pointer sentence in a docstring (line breaks allowed)."""
    text = " ".join(doc.split())
    return [{int(n) for n in re.findall(r"\d+", m.group(1))} for m in POINTER.finditer(text)]


def test_the_parser_reads_the_convention():
    assert parts_named("Does x.\n\n    Parts 3, 8\n    and 9 use it (Part 8 teaches it).") == [
        {3, 8, 9}
    ]
    assert parts_named("Part 8 uses it.") == [{8}] and parts_named("Part 8 shows why.") == []
    assert (
        pointer_sentence({9, 3, 8}) == "Parts 3, 8 and 9 use it."
        and pointer_sentence({7}) == "Part 7 uses it."
    )
    assert NOTEBOOKS and "gpu_report" in CALLS  # the scan found the notebooks


# Public names that are data, not functions or classes: a docstring of their own is not possible.
DATA = {name for name in course_utils._LAZY if not callable(getattr(course_utils, name))}


@pytest.mark.parametrize("name", sorted(set(course_utils._LAZY) - DATA))
def test_docstring_names_the_parts_that_call_it(name):
    obj = getattr(course_utils, name)
    where = f"course_utils/{course_utils._LAZY[name]}.py, {name}"
    named = parts_named(inspect.getdoc(obj) or "")
    calling = CALLS.get(name, set())
    if not calling:
        assert not named, (
            f"No notebook calls cu.{name}, but the docstring of {where} says parts {named} use it: "
            "remove that sentence."
        )
        return
    want = pointer_sentence(calling)
    assert len(named) == 1, (
        f"The docstring of {where} must say {want!r} exactly once (found {len(named)} pointer "
        f"sentences); notebooks calling cu.{name}: {sorted(calling)}."
    )
    assert named[0] == calling, (
        f"The docstring of {where} names parts {sorted(named[0])}, but the notebooks that call "
        f"cu.{name} are parts {sorted(calling)}: write {want!r}."
    )


def test_data_names_are_few():
    assert DATA == {"GPUS"}, f"public names without a docstring of their own: {sorted(DATA)}"
