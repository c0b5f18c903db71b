"""The audit chain's hash: what each entry's hash covers, and the optional HMAC key.

Format 2 (this version): an entry's hash is SHA-256 (or HMAC-SHA256 with the audit key) over the
canonical JSON of *every* column of the entry: sequence number, timestamp, actor, action, table,
row id, payload (canonical JSON of the audited row) and the previous entry's hash. Editing any one
of them breaks the entry's hash; re-computing the hash breaks the link of the next entry; and
with a key held outside the database nobody who can only edit the database file can compute a
consistent chain (Krawczyk, Bellare and Canetti, RFC 2104, 1997; NIST FIPS 198-1, 2008).

The key is read from ``CARTRIAL_AUDIT_KEY`` (the key itself, at least 32 characters) or from a
file named by ``CARTRIAL_AUDIT_KEY_FILE`` (or ``--key-file``) that only its owner can read
(mode 0600 or stricter).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
from datetime import date, datetime
from pathlib import Path
from typing import Any

from cartrial.errors import InputError

GENESIS = "0" * 64
CHAIN_FORMAT = 2
KEY_ENV = "CARTRIAL_AUDIT_KEY"
KEY_FILE_ENV = "CARTRIAL_AUDIT_KEY_FILE"
MIN_KEY_CHARS = 32


def canonical(payload: dict[str, Any]) -> str:
    """Canonical JSON (sorted keys, no spaces, ISO dates) that the hashes are computed over."""
    def conv(v: Any) -> Any:
        if isinstance(v, datetime | date):
            return v.isoformat()
        return v
    return json.dumps({k: conv(v) for k, v in payload.items()}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=True)


def entry_hash(key: bytes | None, *, seq: int, created_at: datetime, actor: str, action: str,
               table_name: str, row_id: int, payload: str, prev_hash: str) -> str:
    """Hash of one audit entry over all its columns (HMAC-SHA256 when ``key`` is given).

    Parameters
    ----------
    key : bytes or None
        The audit key, or None for a plain SHA-256 chain.
    seq, created_at, actor, action, table_name, row_id, payload, prev_hash
        The entry's columns.

    Returns
    -------
    str
        64 hexadecimal digits.

    References
    ----------
    RFC 2104 (HMAC, 1997); NIST FIPS 180-4 (SHA-256, 2015).

    Examples
    --------
    >>> from datetime import datetime
    >>> h = entry_hash(None, seq=1, created_at=datetime(2024, 1, 1), actor="ann", action="a",
    ...                table_name="users", row_id=1, payload="{}", prev_hash=GENESIS)
    >>> len(h)
    64
    """
    msg = canonical({"format": CHAIN_FORMAT, "seq": seq, "created_at": created_at,
                     "actor": actor, "action": action, "table_name": table_name,
                     "row_id": row_id, "payload": payload, "prev_hash": prev_hash}).encode()
    if key is None:
        return hashlib.sha256(msg).hexdigest()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def load_audit_key(key_file: str | Path | None = None) -> bytes | None:
    """The audit key from ``key_file``, else ``CARTRIAL_AUDIT_KEY_FILE``, else
    ``CARTRIAL_AUDIT_KEY``; None when none is set.

    Parameters
    ----------
    key_file : str or Path, optional
        A file holding the key; it must be readable by its owner only.

    Returns
    -------
    bytes or None

    Raises
    ------
    InputError
        The file is missing, readable by group or others, or the key is shorter than
        32 characters.

    Examples
    --------
    >>> load_audit_key() is None or True
    True
    """
    path = key_file or os.environ.get(KEY_FILE_ENV)
    if path:
        p = Path(path)
        try:
            mode = p.stat().st_mode
            text = p.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"audit key file {p}: cannot be read ({exc})") from None
        if mode & 0o077:
            raise InputError(f"audit key file {p} has mode {stat.S_IMODE(mode):04o}: others "
                             f"can read it; run `chmod 600 {p}`")
        source = str(p)
    else:
        text = os.environ.get(KEY_ENV, "").strip()
        if not text:
            return None
        source = KEY_ENV
    if len(text) < MIN_KEY_CHARS:
        raise InputError(f"audit key from {source} has {len(text)} characters; at least "
                         f"{MIN_KEY_CHARS} are needed")
    return text.encode("utf-8")


def create_private_file(path: str | Path, text: str) -> Path:
    """Create ``path`` with mode 0600 *before* writing ``text`` into it (never overwrites).

    Raises
    ------
    InputError
        The file exists already.
    """
    p = Path(path)
    try:
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InputError(f"{p} exists already; it is not overwritten") from None
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    return p


def new_audit_key(path: str | Path) -> Path:
    """Write a new random audit key (256 bits, hexadecimal) to a new file of mode 0600.

    Parameters
    ----------
    path : str or pathlib.Path
        The key file; it must not exist yet (a key is never overwritten).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    cartrial.errors.InputError
        The file exists or cannot be created.

    References
    ----------
    NIST SP 800-107 Rev. 1 (2012), section 5.3.4: an HMAC key at least as long as the hash
    output (256 bits for SHA-256) gives the full security strength.

    Examples
    --------
    >>> import tempfile
    >>> p = new_audit_key(Path(tempfile.mkdtemp()) / "audit.key")
    >>> len(load_audit_key(p)), oct(p.stat().st_mode & 0o777)
    (64, '0o600')
    """
    return create_private_file(path, secrets.token_hex(32) + "\n")
