"""The rule every simulated scenario's true DLT probabilities obey, written once.

``cartrial design simulate`` (with or without a randomised stage), ``cartrial design
protocol-text``, ``cartrial design boin12 | uboin | boinet simulate`` and ``cartrial design rose
simulate | text`` refuse a scenario whose true DLT probability falls with dose (exit 2): every
design cartrial simulates assumes toxicity does not decrease with dose (isotonic MTD and OBD
estimates, escalation on safety), so such a scenario is more likely a typo than a question.
"""

from __future__ import annotations

from collections.abc import Sequence

from cartrial.errors import InputError


def refuse_falling_tox(sid: str, tox: Sequence[float], source: str = "--true-tox") -> None:
    """Raise when a true DLT probability is below the one of the dose under it.

    Parameters
    ----------
    sid : str
        The scenario's name (or number).
    tox : sequence of float
        True DLT probability per dose, lowest dose first.
    source : str
        Where the scenario came from (the option or the file), named in the message.

    Raises
    ------
    InputError
        Naming the scenario, both doses and their probabilities.

    Examples
    --------
    >>> refuse_falling_tox("1", [0.1, 0.1, 0.3])
    >>> refuse_falling_tox("2", [0.1, 0.05])
    Traceback (most recent call last):
    cartrial.errors.InputError: scenario 2 (--true-tox): dose 2 has 0.05, below dose 1's 0.1; \
true DLT probabilities must not decrease with dose
    """
    down = next((j for j in range(1, len(tox)) if tox[j] < tox[j - 1]), None)
    if down is not None:
        raise InputError(f"scenario {sid} ({source}): dose {down + 1} has {tox[down]:g}, "
                         f"below dose {down}'s {tox[down - 1]:g}; true DLT probabilities must "
                         "not decrease with dose")
