"""Process memory: hand freed memory back to the operating system (glibc).

A large trial's pipeline allocates and frees many arrays of tens of megabytes. glibc raises its
mmap threshold after such frees, so later large arrays come from the heap, whose freed pages it
keeps: the resident size then grows well past what is alive (measured at 10,000 patients: about
0.5 GB of the load and the safety stage). Both functions are no-ops where glibc is not the C
library.
"""

from __future__ import annotations

import ctypes

_M_MMAP_THRESHOLD = -3          # mallopt parameter (glibc malloc.h)
LARGE_BLOCK_BYTES = 1 << 20     # arrays at least this large are mapped and unmapped directly


def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018 - both must exist (glibc)
        return libc
    except (OSError, AttributeError):
        return None


def release_freed_memory() -> None:
    """Return the heap's free pages to the OS now (``malloc_trim``)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def map_large_blocks() -> None:
    """Allocate blocks of at least 1 MiB with mmap for the rest of the process, so freeing one
    returns it to the OS (fixing the threshold also stops glibc from raising it). Called by
    ``cartrial analyze`` (process-wide; small allocations are unaffected)."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(_M_MMAP_THRESHOLD, LARGE_BLOCK_BYTES)
