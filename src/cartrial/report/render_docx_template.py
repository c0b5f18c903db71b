"""python-docx's default template, read once per process and copied for each document.

``docx.Document()`` opens python-docx's bundled ``default.docx`` for every document: it
unzips the package and parses each of its XML parts, about a third of a report table's DOCX
time, most of it the 350 kB style sheet (``word/styles.xml``), which is parsed again and
written out again for every table although no table changes it. :func:`new_document` opens the
template once and gives each document a deep copy of that package (lxml copies the element
trees without parsing them), except the style sheet: every document's styles part holds the
template's one element, read only, and :func:`part_blob` gives its serialisation made once;
:func:`template_blobs` lets the zip writer deflate these unchanged parts once per process.
So every document starts from the parts ``Document()`` would give it and is written to the
same bytes.

The shared style sheet must not be changed: the report's tables use the template's styles by
id and add none (``tests/report/test_render_docx_template.py`` checks the sheet's bytes after
writing tables). A document that needs its own styles should use ``docx.Document()``.
"""

from __future__ import annotations

import copy
import functools
import threading

_LOCK = threading.Lock()


@functools.cache
def _template():
    """The default template's package (never written to: documents get copies), its style
    sheet element (shared, read only) and that element's serialisation."""
    from docx import Document
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    package = Document().part.package
    styles = package.main_document_part.part_related_by(RT.STYLES)
    return package, styles._element, styles.blob


@functools.cache
def template_blobs() -> frozenset[bytes]:
    """The bytes of the template's parts as a document writes them unchanged (style sheet,
    theme, fonts, settings, ...): what every DOCX of the report repeats.

    Returns
    -------
    frozenset of bytes

    Examples
    --------
    >>> part_blob(new_document().part.package.parts[3]) in template_blobs()
    True
    """
    return frozenset(part_blob(p) for p in _template()[0].parts)


def new_document():
    """A new python-docx document on the default template, as ``docx.Document()`` gives it,
    with the template's style sheet shared read-only (see the module's notes).

    Returns
    -------
    docx.document.Document
        A document of its own package (a deep copy of the template read once per process,
        the style sheet apart): adding content to it changes no other document.

    References
    ----------
    ECMA-376, Office Open XML File Formats, 5th edition (2016), Part 1, sections 11.3.10
    (main document part) and 17.7 (styles); python-docx 1.x, ``docx.Document``.

    Examples
    --------
    >>> a, b = new_document(), new_document()
    >>> _ = a.add_paragraph("only in a")
    >>> [p.text for p in a.paragraphs], [p.text for p in b.paragraphs]
    (['only in a'], [])
    >>> a.styles["Table Grid"].style_id
    'TableGrid'
    """
    package, styles, _ = _template()
    with _LOCK:  # one copy at a time from the shared template
        own = copy.deepcopy(package, {id(styles): styles})
    return own.main_document_part.document


def part_blob(part) -> bytes:
    """The bytes python-docx writes for ``part`` (``part.blob``), the shared style sheet's
    serialised once per process.

    Parameters
    ----------
    part : docx.opc.part.Part
        A part of a document's package.

    Returns
    -------
    bytes
        ``part.blob``.

    Examples
    --------
    >>> doc = new_document()
    >>> all(part_blob(p) == p.blob for p in doc.part.package.parts)
    True
    """
    _, styles, blob = _template()
    return blob if getattr(part, "_element", None) is styles else part.blob
