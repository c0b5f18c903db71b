"""A name -> frame mapping whose values may be held compactly and are decoded when read: what a
study's domains (:class:`cartrial.data.domains.Domains`) and a run's ADaM datasets
(:class:`cartrial.adam.held_datasets.HeldDatasets`) share (issue #18: memory).

Reading a name gives the value itself when it is held as given, else the frame its holder's
``frame()`` decodes, remembered through a weak reference while someone holds it (two readers at
once share one frame; a frame nobody holds is freed). Setting or deleting a name forgets what
was decoded of it. Subclasses say which values are held encoded (:attr:`HeldMapping.encoded`)
and how a value is stored (``__setitem__``).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, MutableMapping

import pandas as pd


class HeldMapping(MutableMapping):
    """The shared reading, deleting and iterating of a mapping of held frames (module docstring).

    Examples
    --------
    >>> class Plain(HeldMapping):
    ...     encoded = ()
    ...     def __setitem__(self, name, df):
    ...         self._held[name] = df
    ...         self._forget(name)
    >>> m = Plain()
    >>> m["DM"] = pd.DataFrame({"USUBJID": ["S1"]})
    >>> list(m), len(m), "DM" in m, m["DM"].shape
    (['DM'], 1, True, (1, 1))
    """

    #: The classes of the values held encoded (each with a ``frame()`` decoding it whole).
    encoded: tuple[type, ...] = ()

    def __init__(self) -> None:
        self._held: dict = {}
        self._decoded: dict[str, weakref.ref] = {}

    def __getitem__(self, name: str):  # noqa: ANN204 - a frame, or the value as given
        held = self._held[name]
        if not isinstance(held, self.encoded):
            return held
        ref = self._decoded.get(name)
        df = ref() if ref is not None else None
        if df is None:
            df = held.frame()
            self._decoded[name] = weakref.ref(df)
        self._read(df)
        return df

    def _read(self, df: pd.DataFrame) -> None:
        """Called with each frame decoded or found for a reader (nothing here)."""

    def _forget(self, name: str) -> None:
        """Forget what was decoded of ``name`` (it was set or deleted)."""
        self._decoded.pop(name, None)

    def __delitem__(self, name: str) -> None:
        del self._held[name]
        self._forget(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._held)

    def __len__(self) -> int:
        return len(self._held)

    def __contains__(self, name: object) -> bool:
        return name in self._held
