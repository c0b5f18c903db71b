"""The figure files (PNG and SVG, with title and caption) rendered when they are written.

Rendering a figure is most of the time of the report's figures (issue #18). The HTML report
needs each figure's SVG at once; the two files (``figures/<name>.png`` and ``.svg``) are only
needed when written, so a :class:`FigureFiles` keeps the stamped figure and renders it then.
A small trial's figure files are rendered together by one forked writer beside the others
(:class:`ForkedFigures`, started by :mod:`cartrial.report.outputs`); a large trial's figures
(thousands of curves) are rendered and let go at once instead: :class:`EagerFigures`.
"""

from __future__ import annotations

from functools import partial

from matplotlib.figure import Figure

from cartrial.report.background import Background
from cartrial.report.figures import figure_bytes


class FigureFiles:
    """A stamped figure whose PNG and SVG files are rendered on demand.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure with its title and caption (:func:`cartrial.report.figures.stamp`).

    Examples
    --------
    >>> fig = Figure(figsize=(2, 2)); _ = fig.subplots().plot([0, 1], [0, 1])
    >>> png, svg = FigureFiles(fig).render()
    >>> png[:4], svg.startswith(b"<?xml")
    (b'\\x89PNG', True)
    """

    def __init__(self, fig: Figure) -> None:
        self.fig = fig

    def render(self) -> tuple[bytes, bytes]:
        """(PNG bytes at 150 dpi, SVG bytes), as :func:`~cartrial.report.figures.figure_bytes`.

        Returns
        -------
        tuple of (bytes, bytes)

        Examples
        --------
        >>> fig = Figure(figsize=(2, 2)); _ = fig.subplots().plot([0, 1])
        >>> a = FigureFiles(fig).render(); a == FigureFiles(fig).render()
        True
        """
        return figure_bytes(self.fig, "png"), figure_bytes(self.fig, "svg")


class _Batch:
    """The files of several figures rendered in turn by one forked process (or, without a
    fork, here when first asked), collected once."""

    def __init__(self, items: list[FigureFiles]) -> None:
        self._job = Background(partial(_render_all, items))
        self._files: list[tuple[bytes, bytes]] | None = None

    def files(self, k: int) -> tuple[bytes, bytes]:
        if self._files is None:
            self._files = self._job.wait()
        return self._files[k]


def _render_all(items: list[FigureFiles]) -> list[tuple[bytes, bytes]]:
    return [item.render() for item in items]


class Rendering:
    """One figure's files among those rendered together (:meth:`ForkedFigures.start`).

    Parameters
    ----------
    batch : _Batch
        The figures rendered together.
    k : int
        This figure's place among them.

    Examples
    --------
    >>> fig = Figure(figsize=(2, 2)); _ = fig.subplots().plot([0, 1])
    >>> figs = ForkedFigures(); figs["a"] = FigureFiles(fig); figs.start()
    >>> type(figs["a"]).__name__, figs["a"].files()[0][:4]
    ('Rendering', b'\\x89PNG')
    """

    def __init__(self, batch: _Batch, k: int) -> None:
        self.batch, self.k = batch, k

    def files(self) -> tuple[bytes, bytes]:
        """(PNG, SVG), waited for (the first asked waits for every figure of the batch;
        example: the class's)."""
        return self.batch.files(self.k)


def file_bytes(item: FigureFiles | Rendering | tuple[bytes, bytes]) -> tuple[bytes, bytes]:
    """(PNG, SVG) of a figure held any of three ways.

    Parameters
    ----------
    item : FigureFiles, Rendering or tuple of (bytes, bytes)
        A figure to render, its rendering under way (:meth:`ForkedFigures.start`), or its
        files already rendered.

    Returns
    -------
    tuple of (bytes, bytes)

    Examples
    --------
    >>> file_bytes((b"png", b"svg"))
    (b'png', b'svg')
    """
    if isinstance(item, Rendering):
        return item.files()
    return item.render() if isinstance(item, FigureFiles) else item


class EagerFigures(dict):
    """A figure dictionary that renders each :class:`FigureFiles` as it is stored (and so lets
    the figure go): for a large trial, whose figures are large.

    Examples
    --------
    >>> fig = Figure(figsize=(2, 2)); _ = fig.subplots().plot([0, 1])
    >>> figs = EagerFigures(); figs["a"] = FigureFiles(fig); type(figs["a"]).__name__
    'tuple'
    """

    def __setitem__(self, name: str, item: FigureFiles | tuple[bytes, bytes]) -> None:
        super().__setitem__(name, file_bytes(item))


class ForkedFigures(dict):
    """A figure dictionary whose :class:`FigureFiles` are kept until :meth:`start`, which
    renders all of them in one forked process (:class:`~cartrial.report.background.Background`)
    beside the report's other writers; each is collected (the same bytes) when written.

    One process for all: a forked process per figure cost a fork, its copied pages and a cold
    start (fonts loaded, texts measured at the PNG's resolution, the log axes' tick labels
    parsed) per figure, about a third of the figure files' CPU on the CT071 example (issue
    #18). Without ``fork`` or a second core, they are rendered when first written.

    Examples
    --------
    >>> fig = Figure(figsize=(2, 2)); _ = fig.subplots().plot([0, 1])
    >>> figs = ForkedFigures(); figs["a"] = FigureFiles(fig); figs.start()
    >>> file_bytes(figs["a"]) == FigureFiles(fig).render()
    True
    """

    def start(self) -> None:
        """Start rendering every figure not yet started, together, in one forked process.

        Examples
        --------
        >>> figs = ForkedFigures(); figs["a"] = (b"png", b"svg"); figs.start(); figs["a"]
        (b'png', b'svg')
        """
        todo = [(name, item) for name, item in self.items() if isinstance(item, FigureFiles)]
        if not todo:
            return
        batch = _Batch([item for _, item in todo])
        for k, (name, _) in enumerate(todo):
            self[name] = Rendering(batch, k)
