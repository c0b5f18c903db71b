"""The figure files (PNG and SVG, with title and caption) rendered when they are written.

Rendering a figure is most of the time of the report's figures (issue #18). The HTML report
needs each figure's SVG at once; the two files (``figures/<name>.png`` and ``.svg``) are only
needed when written, so a :class:`FigureFiles` keeps the stamped figure and renders it then,
possibly in a forked writer beside the others (:mod:`cartrial.report.outputs`). A large trial's
figures (thousands of curves) are rendered and let go at once instead: :class:`EagerFigures`.
"""

from __future__ import annotations

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


def file_bytes(item: FigureFiles | Background | tuple[bytes, bytes]) -> tuple[bytes, bytes]:
    """(PNG, SVG) of a figure held any of three ways.

    Parameters
    ----------
    item : FigureFiles, Background or tuple of (bytes, bytes)
        A figure to render, its rendering under way (:class:`ForkedFigures`), or its files
        already rendered.

    Returns
    -------
    tuple of (bytes, bytes)

    Examples
    --------
    >>> file_bytes((b"png", b"svg"))
    (b'png', b'svg')
    """
    if isinstance(item, Background):
        return item.wait()
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
    """A figure dictionary that starts rendering each :class:`FigureFiles` in a forked process
    as it is stored (:class:`~cartrial.report.background.Background`): a small trial's figure
    files are drawn on a free core while the report's other tables and figures are built, and
    collected (the same bytes) when written. Without ``fork`` or a second core, each is
    rendered when written.

    Examples
    --------
    >>> fig = Figure(figsize=(2, 2)); _ = fig.subplots().plot([0, 1])
    >>> figs = ForkedFigures(); figs["a"] = FigureFiles(fig)
    >>> file_bytes(figs["a"]) == FigureFiles(fig).render()
    True
    """

    def __setitem__(self, name: str, item: FigureFiles | tuple[bytes, bytes]) -> None:
        if name in self:  # a figure stored again: the earlier rendering is collected first
            file_bytes(self[name])
        super().__setitem__(name, Background(item.render) if isinstance(item, FigureFiles)
                            else item)
