"""Which data snapshot the workspace shows: only one that is complete, stable and validates.

The data folder is watched on every request (names, sizes and modification times of its files;
cheap). A new state of the folder is taken up only when

1. it has stayed the same for ``settle_seconds`` (a transfer still being copied keeps changing
   it; the default, 30 s, is configurable with ``cartrial serve --settle``), and
2. it loads and passes ``cartrial validate`` (:func:`cartrial.data.validate_study`: with no
   error finding; a transfer manifest, when the folder has one, is checked there), and
3. it did not change while it was being loaded.

Until then the last good snapshot stays on screen, and every page says why the newer files are
not shown (settling, unreadable, or the validation errors themselves). The decision form is
offered only when the snapshot shown *is* the folder's current content.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cartrial.committee.start_up import StartUp
from cartrial.committee.workspace import Workspace, build_workspace, load_checked
from cartrial.errors import FindingsError, InputError

if TYPE_CHECKING:
    from cartrial.committee.first_build import FirstDecisions

SETTLE_SECONDS = 30.0
MAX_SHOWN = 50

Signature = tuple[tuple[str, int, int], ...]


def data_signature(data_dir: Path) -> Signature:
    """Name, size and modification time of every file in the folder except the committee's own
    database files (``committee.*``): partial and temporary files of a copy count too."""
    out = []
    with os.scandir(data_dir) as entries:  # one stat per file (the type comes with the name)
        for p in entries:
            try:
                if p.name.startswith("committee.") or not p.is_file():
                    continue
                st = p.stat()
            except FileNotFoundError:  # removed while listing: the folder is changing
                continue
            out.append((p.name, st.st_size, st.st_mtime_ns))
    return tuple(sorted(out))


@dataclass(frozen=True)
class SnapshotStatus:
    """What the workspace shows and why: ``ws`` (None before any good snapshot), ``state``
    (``current``, ``settling``, ``invalid`` or ``unreadable``), ``message`` and ``findings``
    (the newer data's error findings, as text, at most ``MAX_SHOWN``)."""

    ws: Workspace | None
    state: str
    message: str
    findings: tuple[str, ...]

    @property
    def can_decide(self) -> bool:
        """The decision form is offered only on the folder's current, validated content."""
        return self.ws is not None and self.state == "current"


class SnapshotWatcher:
    """Keeps the last good snapshot of a data folder (see module docstring).

    Parameters
    ----------
    protocol : str
        Bundled protocol name or YAML path.
    data_dir : Path
    settle_seconds : float
        How long the folder must stay unchanged before a new state is loaded.
    clock : callable
        Seconds from a monotonic clock (tests pass their own).
    prepare : callable, optional
        Called with the start-up workspace once its decisions are computed and before its
        safety analysis begins (``cartrial serve`` renders the overview there, so that the
        first page does not share the processor with the analysis); what it raises is left
        to the page that needs the same computation.
    """

    def __init__(self, protocol: str, data_dir: Path, settle_seconds: float = SETTLE_SECONDS,
                 clock: Callable[[], float] = time.monotonic,
                 prepare: Callable[[Workspace], object] | None = None) -> None:
        self.protocol = protocol
        self.prepare = prepare
        self.data_dir = Path(data_dir)
        self.settle_seconds = float(settle_seconds)
        self.clock = clock
        self._lock = threading.Lock()
        self._ws: Workspace | None = None
        self._loaded: Signature | None = None
        self._seen: tuple[Signature, float] | None = None
        self._failed: tuple[Signature, str, str, tuple[str, ...]] | None = None
        self._start: StartUp | None = None

    def load_now(self, first: FirstDecisions | None = None) -> None:
        """Load and validate the folder as it is (at start-up: no settling); the rest of the
        workspace (decisions, safety analysis) is built in the background, so the server
        answers at once and the first page that needs the snapshot waits for it.

        ``first``: the protocol and the folder as ``cartrial serve`` read them before it
        forked the child computing their decisions (:mod:`cartrial.committee.first_build`):
        validated here, not read again.

        Raises
        ------
        FindingsError, InputError
            The data does not load or does not validate.
        """
        with self._lock:
            if first is not None and not first.read_from(self.protocol, self.data_dir):
                first = None  # read from another folder or protocol: not this one's
            if first is not None:  # read by cartrial serve before it forked
                sig, loaded = first.signature, (first.protocol, first.study)
            else:
                sig, loaded = data_signature(self.data_dir), None
            checked = load_checked(self.protocol, self.data_dir, loaded=loaded)
            self._loaded, self._failed = sig, None
            self._start = StartUp(lambda: self._build(checked, first))

    def _build(self, checked: tuple, first: FirstDecisions | None = None) -> Workspace:
        """The start-up workspace: its decisions, then ``prepare``, then its analysis begins."""
        gate = threading.Event()
        ws = build_workspace(self.protocol, self.data_dir, checked=checked,
                             analysis_later=True, gate=gate, first=first)
        try:
            if self.prepare is not None:
                self.prepare(ws)
        except Exception:  # noqa: BLE001, S110 - the page computes it again and shows why
            pass
        finally:
            gate.set()
        return ws

    def _started(self, whole: bool = True) -> None:
        """Wait for the start-up build (when one is running) and take up its workspace:
        its decisions, and with ``whole`` its safety analysis too (else a failure of the
        analysis is taken up only when it has already ended)."""
        job = self._start
        if job is None:
            return
        ws, why = job.result()
        if ws is not None:
            ended, why = ws.analysis.poll()
            if whole and not ended:
                why = ws.analysis.result()[1]
            ws = None if why else ws
        with self._lock:
            if self._start is not job:
                return
            self._ws = ws
            if ws is not None and not whole and not ws.analysed:
                return  # the analysis is still being computed: a whole wait takes it up
            self._start = None
            if ws is None:  # the engines refused the data: shown on every page, nothing to decide
                self._failed = (self._loaded, "unreadable", "The data could not be analysed: "
                                f"{why}", ())
                self._loaded = None

    def status(self, whole: bool = True) -> SnapshotStatus:
        """The snapshot to show now, loading the folder's new state when it has settled.

        ``whole=False`` (the overview): at start-up, wait only for the decisions, not for the
        safety analysis (the workspace's ``analysed`` says whether it is there)."""
        self._started(whole)
        with self._lock:
            sig = data_signature(self.data_dir)
            now = self.clock()
            if sig == self._loaded:
                return SnapshotStatus(self._ws, "current", "", ())
            if self._failed is not None and self._failed[0] == sig:
                return SnapshotStatus(self._ws, *self._failed[1:])
            if self._seen is None or self._seen[0] != sig:
                self._seen = (sig, now)
            waited = now - self._seen[1]
            if waited < self.settle_seconds:
                return SnapshotStatus(self._ws, "settling", (
                    "New files are arriving in the data folder; they are taken up once "
                    f"unchanged for {self.settle_seconds:g} s (unchanged for {waited:.0f} s "
                    "now)."), ())
            return self._try_load(sig)

    def _try_load(self, sig: Signature) -> SnapshotStatus:
        try:
            ws = build_workspace(self.protocol, self.data_dir)
        except FindingsError as exc:
            errors = [f for f in exc.findings if f.severity == "error"] or exc.findings
            shown = tuple(str(f) for f in errors[:MAX_SHOWN])
            more = len(errors) - len(shown)
            msg = (f"The data now in the folder fails validation ({len(errors)} error(s)"
                   + (f", first {len(shown)} listed" if more > 0 else "") + ").")
            self._failed = (sig, "invalid", msg, shown)
            return SnapshotStatus(self._ws, "invalid", msg, shown)
        except InputError as exc:
            msg = f"The files now in the folder could not be read: {str(exc).splitlines()[0]}"
            self._failed = (sig, "unreadable", msg, ())
            return SnapshotStatus(self._ws, "unreadable", msg, ())
        if data_signature(self.data_dir) != sig:  # changed while loading: not a snapshot
            self._seen = None
            return SnapshotStatus(self._ws, "settling", "The data folder changed while it was "
                                  "being read; waiting for it to settle.", ())
        self._ws, self._loaded, self._failed = ws, sig, None
        return SnapshotStatus(ws, "current", "", ())
