"""rtflite's table body and column header, each attribute broadcast once per table part.

rtflite encodes a table part (``TableAttributes._encode``) cell by cell, and for each cell it
builds a pydantic ``BroadcastValue`` of every one of ~17 attributes (font, size, borders,
justification, ...) to read that cell's value: about 20 pydantic models a cell, most of
rtflite's time in a report of a few hundred cells. The attributes do not change while a part
is encoded, so :class:`Body`, :class:`ColumnHeader` and :class:`Footnote` (the footnotes
are a one-cell table in rtflite; the source line is a paragraph) build each attribute's
``BroadcastValue`` once per call and index it for every cell; the cells, rows and their text
are still rtflite's own models (``Cell``, ``TextContent``, ``Border``, ``Row``), validated and
written by rtflite, so the RTF is the same text. One ``Border`` per distinct style is shared
by the cells (rtflite only reads it).

rtflite copies its components while paginating (``model_copy`` / ``deepcopy``), which keeps
the subclass; a component rebuilt from its fields would fall back to rtflite's own
``_encode``: slower, the same bytes.
"""

from __future__ import annotations

from collections.abc import MutableSequence, Sequence

import polars as pl
from rtflite import RTFBody, RTFColumnHeader, RTFFootnote
from rtflite.attributes import BroadcastValue
from rtflite.row import Border, Cell, Row, TextContent

_TEXT = ("font", "font_size", "format", "color", "background_color", "justification",
         "indent_first", "indent_left", "indent_right", "space", "space_before",
         "space_after", "convert", "hyphenation")
_FIELD = {"font_size": "size"}  # TextContent's field where the attribute's name differs
_BORDERS = ("left", "top", "bottom")


def _cell_lines(attrs, df: pl.DataFrame, col_widths: Sequence[float], dim: tuple[int, int],
                row_offset: int) -> list[list[int]]:
    """``cell_nrow`` as rtflite's ``_encode`` fills it when unset (lines each cell needs)."""
    texts = BroadcastValue(value=df, dimension=dim)
    widths = BroadcastValue(value=col_widths, dimension=dim)
    return [[attrs.calculate_lines(text=str(texts.iloc(i, j)), available_width=widths.iloc(i, j),
                                   row_idx=i + row_offset, col_idx=j)
             for j in range(dim[1])] for i in range(dim[0])]


def encode_part(attrs, df: pl.DataFrame, col_widths: Sequence[float],
                row_offset: int = 0) -> MutableSequence[str]:
    """The RTF rows of one table part, as rtflite's ``TableAttributes._encode`` writes them.

    Parameters
    ----------
    attrs : rtflite.attributes.TableAttributes
        The part's attributes (body or column header), defaults already set.
    df : polars.DataFrame
        The part's cell texts.
    col_widths : sequence of float
        Cumulative column widths in inches (rtflite's ``Utils._col_widths``).
    row_offset : int, default 0
        Row of ``df``'s first row in the whole table (for attributes that vary by row).

    Returns
    -------
    list of str
        The RTF code of the rows, in rtflite's pieces.

    Raises
    ------
    ValueError
        An attribute value rtflite refuses (a justification, border or format code it does
        not know), raised by rtflite's own models as in ``TableAttributes._encode``.

    References
    ----------
    Microsoft, Rich Text Format (RTF) Specification, version 1.9.1 (2008): table rows
    (``\\trowd``, ``\\cellx``, ``\\cell``, ``\\row``). rtflite 2.6, module
    ``rtflite.attributes``: ``TableAttributes._encode`` and ``BroadcastValue``.

    Examples
    --------
    >>> import polars as pl, rtflite as rtf
    >>> body = rtf.RTFBody(col_rel_width=[1.0, 1.0])._set_default()
    >>> df = pl.DataFrame({"a": ["DL1"], "b": ["3"]})
    >>> encode_part(body, df, [1.0, 2.0]) == rtf.RTFBody(col_rel_width=[1.0, 1.0]
    ...     )._set_default()._encode(df, [1.0, 2.0])
    True
    """
    dim = df.shape
    if attrs.cell_nrow is None:
        attrs.cell_nrow = _cell_lines(attrs, df, col_widths, dim, row_offset)
    text = {_FIELD.get(a, a): BroadcastValue(value=getattr(attrs, f"text_{a}"), dimension=dim)
            for a in _TEXT}
    side = {b: BroadcastValue(value=getattr(attrs, f"border_{b}"), dimension=dim)
            for b in _BORDERS}
    right = BroadcastValue(value=attrs.border_right, dimension=dim)
    valign = BroadcastValue(value=attrs.cell_vertical_justification, dimension=dim)
    row_just = BroadcastValue(value=attrs.cell_justification, dimension=dim)
    height = BroadcastValue(value=attrs.cell_height, dimension=dim)
    borders: dict[object, Border] = {}

    def border(style) -> Border:
        if style not in borders:
            borders[style] = Border(style=style)
        return borders[style]

    rows: MutableSequence[str] = []
    last = dim[1] - 1
    for i in range(dim[0]):
        r = i + row_offset
        cells = []
        for j, raw in enumerate(df.row(i)):
            content = TextContent(text="" if raw is None else str(raw),
                                  **{k: v.iloc(r, j) for k, v in text.items()})
            cells.append(Cell(
                text=content, width=col_widths[j],
                border_left=border(side["left"].iloc(r, j)),
                # rtflite reads the right border at the part's row, not the table's
                border_right=border(right.iloc(i, j)) if j == last else None,
                border_top=border(side["top"].iloc(r, j)),
                border_bottom=border(side["bottom"].iloc(r, j)),
                vertical_justification=valign.iloc(r, j)))
        rows.extend(Row(row_cells=cells, justification=row_just.iloc(r, 0),
                        height=height.iloc(r, 0))._as_rtf())
    return rows


class Body(RTFBody):
    """rtflite's ``RTFBody`` encoded by :func:`encode_part` (same RTF, fewer models).

    Examples
    --------
    >>> Body(col_rel_width=[3.0, 1.0]).col_rel_width
    [3.0, 1.0]
    """

    def _encode(self, df, col_widths, row_offset=0):
        return encode_part(self, df, col_widths, row_offset)


class ColumnHeader(RTFColumnHeader):
    """rtflite's ``RTFColumnHeader`` encoded by :func:`encode_part` (same RTF, fewer models).

    Examples
    --------
    >>> ColumnHeader(text=["Dose", "N"]).text
    ['Dose', 'N']
    """

    def _encode(self, df, col_widths, row_offset=0):
        return encode_part(self, df, col_widths, row_offset)


class Footnote(RTFFootnote):
    """rtflite's ``RTFFootnote`` (a one-cell table) encoded by :func:`encode_part`.

    Examples
    --------
    >>> Footnote(text=["N = number of patients."]).text  # rtflite joins the lines
    'N = number of patients.'
    """

    def _encode(self, df, col_widths, row_offset=0):
        return encode_part(self, df, col_widths, row_offset)

