"""Whether work may go to a forked process (one rule for the report's writers and the
workspace's first decisions, issue #18)."""

from __future__ import annotations

import os


def can_fork() -> bool:
    """Whether work may run in a forked process: ``fork`` exists and there are at least two
    cores to run it on (with one, the child would only take turns with its parent).

    Returns
    -------
    bool

    Examples
    --------
    >>> isinstance(can_fork(), bool)
    True
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return hasattr(os, "fork") and (cores or 1) >= 2
