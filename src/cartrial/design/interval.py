"""Interval designs driven by a decision table: i3+3 and mTPI-2.

Both use an equivalence interval EI = [target - epsilon_low, target + epsilon_high] and the
Beta(1, 1) overdose elimination of BOIN (P(p > target | data) > 0.95 at n >= 3, the dose and
all higher doses), with the rule order of the other table-driven designs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.special import betainc  # Beta CDF; scipy.stats costs seconds to import

from cartrial.design._table_design import TableDesign
from cartrial.design.simulate_tables import mtpi2_intervals
from cartrial.errors import InputError

_TOL = 1e-12


@dataclass(frozen=True)
class _IntervalDesign(TableDesign):
    epsilon_low: float = 0.05
    epsilon_high: float = 0.05

    def __post_init__(self) -> None:
        super().__post_init__()
        lo, hi = self.target - self.epsilon_low, self.target + self.epsilon_high
        if (
            self.epsilon_low < 0
            or self.epsilon_high < 0
            or self.epsilon_low + self.epsilon_high <= 0
        ):
            raise InputError(
                f"{self.name}: epsilons must be >= 0 with a positive sum, got "
                f"{self.epsilon_low!r}, {self.epsilon_high!r}"
            )
        if not 0 < lo < hi < 1:
            raise InputError(f"{self.name}: need 0 < EI = [{lo}, {hi}] < 1")

    def _table_options(self) -> tuple[tuple[str, object], ...]:
        return (
            *super()._table_options(),
            ("epsilon_low", self.epsilon_low),
            ("epsilon_high", self.epsilon_high),
        )

    @property
    def ei(self) -> tuple[float, float]:
        return self.target - self.epsilon_low, self.target + self.epsilon_high


@dataclass(frozen=True)
class I3plus3(_IntervalDesign):
    """i3+3 (Liu M, Wang SJ, Ji Y, J Biopharm Stat 2020;30:294-304).

    y/n below the EI -> escalate; in the EI -> stay; above the EI -> stay if (y - 1)/n is below
    the EI, otherwise de-escalate. The EI is closed at both ends.

    Parameters
    ----------
    n_doses : int
        Number of dose levels (0-based indices, lowest first).
    target : float
        Target DLT probability.
    epsilon_low, epsilon_high : float, default 0.05
        EI = [target - epsilon_low, target + epsilon_high].
    cohort_size, cutoff, extrasafe, offset, cap_per_dose, max_sample_size
        As :class:`~cartrial.design.Boin` (cohort size, overdose elimination, stopping caps).

    References
    ----------
    Liu M, Wang SJ, Ji Y. The i3+3 design for phase I clinical trials. J Biopharm Stat
    2020;30:294-304.

    Examples
    --------
    Target 0.3, EI [0.25, 0.35]: 2/5 = 0.40 is above the EI but (2 - 1)/5 = 0.20 is below it,
    so i3+3 stays; 2/3 de-escalates:

    >>> d = I3plus3(n_doses=3, target=0.3)
    >>> d.letter(5, 2), d.letter(3, 2)
    ('S', 'D')
    """

    name = "i3+3"

    def rule_text(self, n: int, y: int, letter: str) -> str:
        lo, hi = self.ei
        r = y / n if n else 0.0
        where = "below" if r < lo - _TOL else "inside" if r <= hi + _TOL else "above"
        extra = ""
        if where == "above":
            extra = f", (y-1)/n = {(y - 1) / n:.3f} {'<' if letter == 'S' else '>='} {lo:g}"
        verb = {"E": "escalate", "S": "stay", "D": "de-escalate"}[letter]
        return (
            f"i3+3: {y}/{n} = {r:.3f} is {where} EI [{lo:g}, {hi:g}]{extra}: {verb} "
            "(Liu M, Wang SJ, Ji Y, J Biopharm Stat 2020;30:294-304)"
        )


@dataclass(frozen=True)
class Mtpi2(_IntervalDesign):
    """mTPI-2 (Guo W et al., Contemp Clin Trials 2017;58:23-33).

    With a Beta(1, 1) prior, the unit probability mass UPM = posterior mass / interval length
    of every interval; the interval with the largest UPM decides: below the EI escalate, the EI
    stay, above de-escalate (first interval on an exact tie).

    Parameters
    ----------
    n_doses : int
        Number of dose levels (0-based indices, lowest first).
    target : float
        Target DLT probability.
    epsilon_low, epsilon_high : float, default 0.05
        EI = [target - epsilon_low, target + epsilon_high].
    cohort_size, cutoff, extrasafe, offset, cap_per_dose, max_sample_size
        As :class:`~cartrial.design.Boin` (cohort size, overdose elimination, stopping caps).

    References
    ----------
    Guo W, Wang SJ, Yang S, Lynn H, Ji Y. A Bayesian interval dose-finding design addressing
    Ockham's razor: mTPI-2. Contemp Clin Trials 2017;58:23-33.

    Examples
    --------
    Target 0.3, EI [0.25, 0.35]: with 6 patients, 0-1 DLTs escalate, 2 stay, 3+ de-escalate:

    >>> d = Mtpi2(n_doses=3, target=0.3)
    >>> "".join(d.letter(6, y) for y in range(7))
    'EESDDDD'
    """

    name = "mtpi2"

    @cached_property
    def _edges(self) -> tuple[np.ndarray, int]:
        return mtpi2_intervals(self.target, self.epsilon_low, self.epsilon_high)

    def upm(self, n: int, y: int) -> np.ndarray:
        """Unit probability mass of each interval (edges from :func:`mtpi2_intervals`)."""
        edges, _ = self._edges
        return np.diff(betainc(y + 1, n - y + 1, edges)) / np.diff(edges)

    def rule_text(self, n: int, y: int, letter: str) -> str:
        edges, _ = self._edges
        best = int(np.argmax(self.upm(n, y))) if n else 0
        verb = {"E": "escalate", "S": "stay", "D": "de-escalate"}[letter]
        return (
            f"mTPI-2: {y}/{n}, largest UPM in ({edges[best]:.2f}, {edges[best + 1]:.2f}] "
            f"({'below' if letter == 'E' else 'inside' if letter == 'S' else 'above'} the EI): "
            f"{verb} (Guo W et al., Contemp Clin Trials 2017;58:23-33)"
        )
