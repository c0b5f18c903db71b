"""Process memory: hand freed memory back to the operating system (glibc).

A large trial's pipeline allocates and frees many arrays of tens of megabytes. glibc raises its
mmap threshold after such frees, so later large arrays come from the heap, whose freed pages it
keeps: the resident size then grows well past what is alive (measured at 10,000 patients: about
0.5 GB of the load and the safety stage). ``cartrial analyze`` therefore fixes the threshold:
arrays as long as the study's largest table are mapped and unmapped directly, shorter ones reuse
the heap (:func:`large_block_bytes`). :func:`map_large_blocks` and :func:`release_freed_memory`
are no-ops where glibc is not the C library.
"""

from __future__ import annotations

import ctypes
import sys

_M_MMAP_THRESHOLD = -3          # mallopt parameter (glibc malloc.h)
LARGE_BLOCK_BYTES = 1 << 20     # arrays at least this large are mapped and unmapped directly
MAX_BLOCK_BYTES = 32 << 20      # glibc's ceiling for its dynamic threshold on 64-bit (mallopt(3):
# DEFAULT_MMAP_THRESHOLD_MAX, 4 * 1024 * 1024 * sizeof(long))


def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018 - both must exist (glibc)
        return libc
    except (OSError, AttributeError):
        return None


def release_freed_memory() -> None:
    """Return the heap's free pages to the OS now (``malloc_trim``), and those pyarrow's
    memory pool keeps for reuse when pyarrow is in use (the CSV reader's buffers: about 20 MiB
    held after a 10,000-patient study is read; the pool is never imported for this).

    Examples
    --------
    >>> release_freed_memory()
    """
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
    arrow = sys.modules.get("pyarrow")
    if arrow is not None:
        arrow.default_memory_pool().release_unused()


def large_block_bytes(records: int = 0) -> int:
    """The smallest block allocated with mmap when the largest table has ``records`` rows:
    half a float column of that table, between 1 and 32 MiB.

    A column as long as the largest domain (and every temporary of that length) is mapped, so
    freeing it hands its memory back at once and the peak stays what is alive; shorter arrays (a
    batch of subjects, one test code's records) come from the heap, which reuses their pages
    instead of faulting fresh zeroed ones in for every array (measured at 10,000 patients: 6 M
    page faults and 25 s of system time with a fixed 1 MiB, BENCHMARKS.md).

    Parameters
    ----------
    records : int, optional
        Rows of the largest table held (0: not known yet, the 1 MiB floor).

    Returns
    -------
    int
        Bytes.

    Examples
    --------
    >>> large_block_bytes(), large_block_bytes(1_048_576) >> 20, large_block_bytes(10**8) >> 20
    (1048576, 4, 32)
    """
    return int(min(MAX_BLOCK_BYTES, max(LARGE_BLOCK_BYTES, records * 8 // 2)))


def map_large_blocks(records: int = 0) -> None:
    """Allocate blocks of at least :func:`large_block_bytes` with mmap for the rest of the
    process, so freeing one returns it to the OS (fixing the threshold also stops glibc from
    raising it). Called by ``cartrial analyze`` (process-wide; small allocations are
    unaffected), again once the study is loaded and its size known.

    Parameters
    ----------
    records : int, optional
        Rows of the largest table held (0 before anything is read).

    Examples
    --------
    >>> map_large_blocks()  # the 1 MiB floor (a no-op where glibc is not the C library)
    """
    libc = _libc()
    if libc is not None:
        libc.mallopt(_M_MMAP_THRESHOLD, large_block_bytes(records))
