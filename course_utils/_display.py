"""How course_utils shows numbers and result tables, the same way in every helper."""

from __future__ import annotations

import html

GIB = 2**30
_UNITS = (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10))


def fmt_bytes(n: float | None, unit: str | None = None, digits: int = 1) -> str:
    """Bytes in words: ``unit`` "GiB"/"MiB"/"KiB"/"B", or None for the largest unit that fits."""
    if n is None:
        return "?"
    sizes = dict(_UNITS, B=1)
    if unit is None:
        unit = next((u for u, size in _UNITS if abs(n) >= size), "B")
        if unit == "B":
            return f"{int(n)} B"
    return f"{n / sizes[unit]:,.{digits}f} {unit}"


def fmt_gib(n: float) -> str:
    """Bytes as GiB with two decimals, the unit the memory lessons compare in."""
    return fmt_bytes(n, "GiB", 2)


def fmt_count(n: int) -> str:
    """A parameter count the way model names say it: 7.00B, 135.00M, 12.00K."""
    for div, unit in [(1e9, "B"), (1e6, "M"), (1e3, "K")]:
        if n >= div:
            return f"{n / div:.2f}{unit}"
    return str(n)


def _cell(tag: str, text: str, left: bool = True) -> str:
    style = " style='text-align:left'" if left else ""
    return f"<{tag}{style}>{html.escape(text)}</{tag}>"


class Table:
    """Shows a result as text (``print``) and as an HTML table (a notebook's last expression).

    A class with this mixin gives ``_rows()`` (key, value) pairs and, optionally, a title, the
    key column's width (``_KEY_WIDTH``, None: the widest key), the gap after the keys, and lines
    that follow the table (``_after`` for text, ``_after_html`` for HTML).
    """

    _KEY_WIDTH: int | None = None
    _GAP = "  "

    def _rows(self) -> list[tuple[str, str]]:
        raise NotImplementedError

    def _title(self) -> str | None:
        return None

    def _after(self) -> list[str]:
        return []

    def _after_html(self) -> str:
        return ""

    def _text_rows(self) -> list[str]:
        rows = self._rows()
        width = self._KEY_WIDTH or max(len(key) for key, _ in rows)
        indent = "  " if self._title() else ""
        return [f"{indent}{key:<{width}}{self._GAP}{value}" for key, value in rows]

    def _html_rows(self) -> str:
        return "".join(f"<tr>{_cell('th', k)}{_cell('td', v)}</tr>" for k, v in self._rows())

    def __str__(self) -> str:
        title = self._title()
        return "\n".join(([title] if title else []) + self._text_rows() + self._after())

    def _repr_html_(self) -> str:
        title = self._title()
        head = f"<b>{html.escape(title)}</b>" if title else ""
        return f"{head}<table>{self._html_rows()}</table>{self._after_html()}"


def html_row(*cells: str, left: tuple[bool, ...] = ()) -> str:
    """One HTML table row of plain ``<td>`` cells (``left``: which cells align left)."""
    flags = left + (False,) * (len(cells) - len(left))
    return (
        "<tr>"
        + "".join(_cell("td", c, flag) for c, flag in zip(cells, flags, strict=True))
        + "</tr>"
    )
