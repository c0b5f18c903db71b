"""Committee passwords: the rules a new password must pass and its argon2id hash.

The rules follow NIST SP 800-63B (2017), section 5.1.1.2 (memorised secret verifiers); the
functions are importable from :mod:`cartrial.committee.records` as well.
"""

from __future__ import annotations

import functools
from importlib import resources

from argon2 import PasswordHasher

from cartrial.errors import InputError

_HASHER = PasswordHasher()  # argon2id with the library's current parameters

MIN_PASSWORD = 10
MAX_PASSWORD = 256


@functools.cache
def common_passwords() -> frozenset[str]:
    """The refused passwords shipped with cartrial (``common_passwords.txt``)."""
    text = (resources.files("cartrial.committee") / "common_passwords.txt").read_text("utf-8")
    return frozenset(w.strip().lower() for w in text.splitlines()
                     if w.strip() and not w.startswith("#"))


def check_password(password: str, username: str = "") -> None:
    """Refuse a password that is short, common, repetitive or contains the user name.

    Parameters
    ----------
    password : str
    username : str, optional

    Raises
    ------
    InputError
        Fewer than 10 or more than 256 characters; in the list of common passwords (lower
        case, trailing digits and punctuation removed: ``Password1!`` is ``password``); one
        repeated character; or containing the user name.

    References
    ----------
    NIST SP 800-63B (2017), section 5.1.1.2: at least 8 characters (10 here), at most 64 or
    more, and checked against commonly used, expected or compromised values, repetitive or
    sequential characters and context-specific words such as the user name.

    Examples
    --------
    >>> check_password("Password1!")
    Traceback (most recent call last):
    ...
    cartrial.errors.InputError: password is too common (in cartrial's list of common passwords)
    """
    if len(password) < MIN_PASSWORD:
        raise InputError(f"password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InputError(f"password must have at most {MAX_PASSWORD} characters")
    core = password.lower().rstrip("0123456789!?.,;:-_#*@$%&+=~ ")
    if core in common_passwords() or password.lower() in common_passwords():
        raise InputError("password is too common (in cartrial's list of common passwords)")
    if len(set(password)) < 3:
        raise InputError("password repeats too few characters")
    if username and len(username) >= 3 and username.lower() in password.lower():
        raise InputError("password must not contain the user name")


def hash_password(password: str, username: str = "") -> str:
    """The argon2id hash of a password that passes :func:`check_password`.

    Parameters
    ----------
    password : str
        The new password (length and common-password rules of :func:`check_password`).
    username : str
        The user's name (a password containing it is refused).

    Returns
    -------
    str
        The argon2id hash in PHC string format (salted: two calls differ).

    Raises
    ------
    InputError
        The password breaks a rule (named in the message).

    References
    ----------
    NIST SP 800-63B (2017), section 5.1.1.2 (memorised secret verifiers).

    Examples
    --------
    >>> hash_password("Violet-Harbour-2026").startswith("$argon2id$")
    True
    """
    check_password(password, username)
    return _HASHER.hash(password)
