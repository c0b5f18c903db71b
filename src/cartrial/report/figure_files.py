"""The figure files (PNG and SVG, with title and caption) rendered when they are written.

Rendering a figure is most of the time of the report's figures (issue #18). The HTML report
needs each figure's SVG at once; the two files (``figures/<name>.png`` and ``.svg``) are only
needed when written, so a :class:`FigureFiles` keeps the stamped figure and renders it then.
A small trial's figure files are rendered together by one forked writer beside the others
(:class:`ForkedFigures`, started by :mod:`cartrial.report.outputs`); a large trial's figures
(thousands of curves) are handed, as each is stored, to a forked process that renders them on
the second core while this one builds the next sections, and let go here: :class:`EagerFigures`.
"""

from __future__ import annotations

import threading
from functools import partial

from matplotlib.figure import Figure

from cartrial._fork import can_fork
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


def _render_held(held: list[list[FigureFiles]]) -> list[tuple[bytes, bytes]]:
    return _render_all(held[0])


class _Handed:
    """Figures rendered in turn by one forked process started by :meth:`start` (until then
    they wait here); a thread reads the files as soon as the process sends them, so that the
    process ends then and its pages (those this one changed since the fork, copied) are freed,
    rather than when the files are written."""

    def __init__(self) -> None:
        self.items: list[FigureFiles] = []
        self._reader: threading.Thread | None = None
        self._got: tuple[str, object] = ("error", RuntimeError("figure files not rendered"))

    def add(self, item: FigureFiles) -> int:
        self.items.append(item)
        return len(self.items) - 1

    def start(self) -> None:
        # the figures reach the child through the fork; the list is emptied here once forked,
        # so that this process lets them go (a large trial's figures are large)
        held = [self.items]
        job = Background(partial(_render_held, held))
        if job.forked:
            held.clear()
        self.items = []
        self._reader = threading.Thread(target=self._read, args=(job,), daemon=True)
        self._reader.start()

    def _read(self, job: Background) -> None:
        try:
            self._got = ("ok", job.wait())
        except BaseException as exc:  # noqa: BLE001 - raised by files(), in this process
            self._got = ("error", exc)

    @property
    def started(self) -> bool:
        return self._reader is not None

    def done(self) -> bool:
        return self._reader is not None and not self._reader.is_alive()

    def files(self, k: int) -> tuple[bytes, bytes]:
        if self._reader is None:  # asked before started: started now (this thread forks)
            self.start()
        self._reader.join()
        status, value = self._got
        if status == "error":
            raise value
        return value[k]


class Rendering:
    """One figure's files among those rendered together (:meth:`ForkedFigures.start`).

    Parameters
    ----------
    batch : _Batch or _Handed
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

    def __init__(self, batch: _Batch | _Handed, k: int) -> None:
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
    """A figure dictionary that renders each :class:`FigureFiles` as soon as it is stored, and
    so lets the figure go: for a large trial, whose figures are large.

    Where the machine allows (``fork`` and a second core, and ``forked``), the figure is
    handed to a forked process that renders its files on the second core while this one goes
    on building the report (issue #18: at 10,000 patients the figure files were a quarter of
    the tables' and figures' stage, all on one core). One such process at a time: a figure
    stored while one renders waits for the next, with the others stored meanwhile, and
    :meth:`start` hands over the last ones. The same bytes as rendered here; an error of a
    figure's rendering is raised when its files are asked for (:func:`file_bytes`).

    Parameters
    ----------
    *args
        Initial entries, as for ``dict``.
    forked : bool, optional
        False renders each figure here as it is stored (the forked process of
        :mod:`cartrial.report.section_build`, which is itself the second core's work).

    Examples
    --------
    >>> fig = Figure(figsize=(2, 2)); _ = fig.subplots().plot([0, 1])
    >>> figs = EagerFigures(forked=False); figs["a"] = FigureFiles(fig)
    >>> type(figs["a"]).__name__
    'tuple'
    >>> here = FigureFiles(fig).render()
    >>> figs = EagerFigures(); figs["a"] = FigureFiles(fig); file_bytes(figs["a"]) == here
    True
    """

    def __init__(self, *args: object, forked: bool = True) -> None:
        super().__init__(*args)
        self._forked = forked and can_fork()
        self._running: _Handed | None = None
        self._waiting = _Handed()

    def __setitem__(self, name: str, item: FigureFiles | tuple[bytes, bytes]) -> None:
        if not (self._forked and isinstance(item, FigureFiles)):
            super().__setitem__(name, file_bytes(item))
            return
        if self._waiting.started:  # its files were asked for, which started it
            self._waiting = _Handed()
        super().__setitem__(name, Rendering(self._waiting, self._waiting.add(item)))
        if self._running is None or self._running.done():
            self.start()

    def start(self) -> None:
        """Hand the figures stored and not yet handed over to a forked process now (even
        while another renders: nothing else will start them before they are written).

        Examples
        --------
        >>> figs = EagerFigures(); figs["a"] = (b"png", b"svg"); figs.start(); figs["a"]
        (b'png', b'svg')
        """
        if self._waiting.items:
            self._running, self._waiting = self._waiting, _Handed()
            self._running.start()


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
