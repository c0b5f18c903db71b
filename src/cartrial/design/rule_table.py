"""The table designs' rule evaluated once over every state at the current dose, for look-up.

Without BF-BOIN pooling, what :func:`~cartrial.design.table_rules.table_step` decides for a
trial that has just treated a cohort depends on three things only: the current dose ``d``,
whether dose ``d + 1`` is already eliminated, and the patients and DLTs (n, y) at ``d``. The
other doses enter through the lowest eliminated dose alone (a dose is checked at every visit and
elimination is permanent, so no dose below ``d`` is eliminated while the trial stands on ``d``,
and only "is ``d + 1`` eliminated" reaches the move; Liu S, Yuan Y, J R Stat Soc C
2015;64:507-23; BOIN 2.7.2 ``get.oc``).

:func:`compile_rule` runs ``table_step`` itself on one synthetic trial per such combination and
keeps its answers (next dose, rule code, dose ``d`` eliminated) in flat arrays. The Monte Carlo
simulator of the rule-based designs and the exact operating characteristics look their decisions
up here, so they apply the one rule that the single-trial ``decide`` applies (``table_step`` on a
batch of one), without a second copy of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cartrial.design.simulate_tables import DecisionTables
from cartrial.design.table_rules import table_step


@dataclass(frozen=True)
class CompiledRule:
    """Decisions of a table design per (dose, next dose eliminated, n, y), flattened.

    The state at the current dose is one integer, the *pair* ``n * width + y``; the decision of
    a state sits at :meth:`index` ``(d, next_eliminated, pair)``. Cells with y > n are unused.

    Attributes
    ----------
    n_doses : int
        Number of dose levels.
    width : int
        ``n_max + 1`` of the decision tables: the radix of the pair.
    next_dose : numpy.ndarray
        (n_doses * 2 * width**2,) next dose (0-based; the current dose after a stop).
    rule : numpy.ndarray
        Same shape, int8: index into :data:`~cartrial.design.table_rules.RULE_IDS`.
    eliminated : numpy.ndarray
        Same shape, bool: dose ``d`` is eliminated by its own (n, y) (at dose 1 also by the
        ``extrasafe`` cutoff).

    Examples
    --------
    >>> from cartrial.design.simulate_tables import decision_tables
    >>> from cartrial.design.table_rules import RULE_IDS
    >>> c = compile_rule(decision_tables("boin", 0.3, 12), n_doses=3, cap=None)
    >>> nd, rule, el = c.decide(np.array([0]), np.array([False]), np.array([3 * c.width + 0]))
    >>> int(nd[0]), RULE_IDS[int(rule[0])], bool(el[0])
    (1, 'escalate', False)
    """

    n_doses: int
    width: int
    next_dose: np.ndarray
    rule: np.ndarray
    eliminated: np.ndarray

    def index(self, d: np.ndarray, next_eliminated: np.ndarray, pair: np.ndarray) -> np.ndarray:
        """Flat position of the decision of each state.

        Parameters
        ----------
        d : (rows,) int
            Current dose (0-based).
        next_eliminated : (rows,) bool or int
            Dose ``d + 1`` is eliminated (any value for the top dose).
        pair : (rows,) int
            ``n * width + y`` at dose ``d`` after the cohort.

        Returns
        -------
        numpy.ndarray
            (rows,) positions into :attr:`next_dose`, :attr:`rule` and :attr:`eliminated`.

        Examples
        --------
        >>> from cartrial.design.simulate_tables import decision_tables
        >>> c = compile_rule(decision_tables("boin", 0.3, 6), n_doses=2, cap=None)
        >>> c.index(np.array([1]), np.array([True]), np.array([0])).tolist()
        [147]
        """
        return (d * 2 + next_eliminated) * (self.width * self.width) + pair

    def decide(
        self, d: np.ndarray, next_eliminated: np.ndarray, pair: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(next dose, rule code, dose ``d`` eliminated) of each state (see :meth:`index`).

        Parameters
        ----------
        d, next_eliminated, pair : (rows,) arrays
            As :meth:`index`.

        Returns
        -------
        tuple of numpy.ndarray
            Next dose, rule code (int8), eliminated (bool), each (rows,).

        Examples
        --------
        >>> from cartrial.design.simulate_tables import decision_tables
        >>> from cartrial.design.table_rules import RULE_IDS
        >>> c = compile_rule(decision_tables("boin", 0.3, 6), n_doses=2, cap=None)
        >>> nd, rule, el = c.decide(np.array([1]), np.array([0]), np.array([3 * c.width + 3]))
        >>> int(nd[0]), RULE_IDS[int(rule[0])], bool(el[0])
        (0, 'eliminate', True)
        """
        i = self.index(d, next_eliminated, pair)
        return self.next_dose[i], self.rule[i], self.eliminated[i]


def compile_rule(tables: DecisionTables, n_doses: int, cap: int | None) -> CompiledRule:
    """Run :func:`~cartrial.design.table_rules.table_step` once on every (dose, next dose
    eliminated, n, y) with n >= 1 and keep the answers (see the module).

    Parameters
    ----------
    tables : DecisionTables
        The design's (n, y) tables; they fix ``width`` (their ``n_max + 1``).
    n_doses : int
        Number of dose levels.
    cap : int or None
        Patients per dose that stop the trial when the rule keeps the dose (``n.earlystop``).

    Returns
    -------
    CompiledRule
        The decisions, indexed by :meth:`CompiledRule.index`.

    References
    ----------
    Liu S, Yuan Y. J R Stat Soc C 2015;64:507-23; Yuan Y, Hess KR, Hilsenbeck SG, Gilbert MR.
    Clin Cancer Res 2016;22:4291-301 (BOIN 2.7.2 ``get.oc``, the order of the rule's steps).

    Examples
    --------
    1 DLT in 3 at dose 1 of a BOIN with target 0.3 stays (lambda_e = 0.236 < 1/3 < lambda_d =
    0.358, Liu & Yuan 2015, Table 1):

    >>> from cartrial.design.simulate_tables import decision_tables
    >>> from cartrial.design.table_rules import RULE_IDS
    >>> c = compile_rule(decision_tables("boin", 0.3, 12), n_doses=3, cap=None)
    >>> nd, rule, _ = c.decide(np.array([0]), np.array([0]), np.array([3 * c.width + 1]))
    >>> int(nd[0]), RULE_IDS[int(rule[0])]
    (0, 'stay')
    """
    w = tables.action.shape[0]
    k = int(n_doses)
    nn, yy = np.nonzero(np.tril(np.ones((w, w), dtype=bool)) & (np.arange(w) >= 1)[:, None])
    cells = nn.size
    size = k * 2 * w * w
    next_dose = np.zeros(size, dtype=np.intp)
    codes = np.zeros(size, dtype=np.int8)
    elim = np.zeros(size, dtype=bool)
    ne = np.repeat([0, 1], cells)
    n_c, y_c = np.tile(nn, 2), np.tile(yy, 2)
    rows = np.arange(2 * cells)
    for dose in range(k):  # one dose at a time: memory grows with doses, not doses squared
        d = np.full(2 * cells, dose)
        n = np.zeros((d.size, k), dtype=np.int64)
        y = np.zeros((d.size, k), dtype=np.int64)
        n[rows, d] = n_c
        y[rows, d] = y_c
        prev_low = np.where(ne == 1, min(dose + 1, k), k)
        nd, low, rule = table_step(tables, d, n, y, prev_low, cap)
        pos = (dose * 2 + ne) * (w * w) + n_c * w + y_c
        next_dose[pos] = nd
        codes[pos] = rule
        elim[pos] = low == dose
    return CompiledRule(k, w, next_dose, codes, elim)


__all__ = ["CompiledRule", "compile_rule"]
