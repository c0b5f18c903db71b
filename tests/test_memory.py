"""cartrial._memory: the mmap threshold scaled to the study (arithmetic; glibc's own limits from
the mallopt(3) manual page)."""

from cartrial._memory import (
    LARGE_BLOCK_BYTES,
    MAX_BLOCK_BYTES,
    large_block_bytes,
    map_large_blocks,
    release_freed_memory,
)


def test_floor_before_anything_is_read():
    assert large_block_bytes() == LARGE_BLOCK_BYTES == 1 << 20
    assert large_block_bytes(1000) == 1 << 20  # a small trial: 8 KB columns, the floor


def test_half_a_float_column_of_the_largest_table():
    # 3.5 M records (a 10,000-patient LB): a float column is 28 MB, blocks of 14 MB and more
    # are mapped; a 250-subject batch's arrays (~0.6 MB) come from the heap
    assert large_block_bytes(3_500_000) == 14_000_000
    assert large_block_bytes(1_048_576) == 4 << 20


def test_ceiling_is_glibcs_64_bit_maximum():
    # mallopt(3): M_MMAP_THRESHOLD is at most DEFAULT_MMAP_THRESHOLD_MAX, 32 MiB on 64-bit
    assert MAX_BLOCK_BYTES == 4 * 1024 * 1024 * 8
    assert large_block_bytes(10**9) == MAX_BLOCK_BYTES


def test_settings_apply_without_error():
    map_large_blocks(3_500_000)
    release_freed_memory()
    map_large_blocks()


def test_pyarrows_pool_is_released_when_in_use(monkeypatch):
    import sys
    import types

    released = []
    pool = types.SimpleNamespace(release_unused=lambda: released.append(True))
    fake = types.SimpleNamespace(default_memory_pool=lambda: pool)
    monkeypatch.setitem(sys.modules, "pyarrow", fake)
    release_freed_memory()
    assert released == [True]
    monkeypatch.delitem(sys.modules, "pyarrow")
    release_freed_memory()  # not imported: nothing to release, nothing imported
    assert released == [True] and "pyarrow" not in sys.modules
