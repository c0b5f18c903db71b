"""A patient's journey in time: the day-0 frame, visit schedules and how follow-up ends.

Every infused patient is followed from the infusion (day 0) until death, withdrawal, loss to
follow-up, the data cut-off or the end of follow-up (day 730), whichever comes first. Visits
fall within the protocol's window around their nominal day, some are missed, and none is held
after follow-up has ended.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

D = "timedelta64[D]"
#: the last day of follow-up after the infusion (two years)
FOLLOW_UP_END_DAY = 730
#: why follow-up ended, by the index :func:`draw_fate` returns in ``Fate.why``
END_REASONS = ("DEATH", "WITHDRAWAL BY SUBJECT", "LOST TO FOLLOW-UP", "ONGOING", "COMPLETED")


@dataclass(frozen=True)
class Journey:
    """The infused patients, their infusion dates and the last day each was followed.

    Attributes
    ----------
    usubjid, site : numpy.ndarray
        Subject identifiers and site numbers, one per infused patient.
    inf : numpy.ndarray
        Infusion dates (``datetime64[D]``): day 0 of each patient.
    conv : numpy.ndarray
        True where the site reports conventional (non-SI) units.
    end_day : numpy.ndarray
        The last day (relative to the infusion) on which the patient was followed.
    """

    usubjid: np.ndarray
    inf: np.ndarray
    site: np.ndarray
    conv: np.ndarray
    end_day: np.ndarray

    def date(self, pat: np.ndarray, day: np.ndarray) -> np.ndarray:
        """The calendar date of ``day`` (days after the infusion) for patients ``pat``.

        Parameters
        ----------
        pat : numpy.ndarray
            Patient indices (rows of this journey).
        day : numpy.ndarray
            Days relative to the infusion (day 0).

        Returns
        -------
        numpy.ndarray
            ``datetime64[D]`` dates.

        Examples
        --------
        >>> import numpy as np
        >>> j = Journey(np.array(["S1"]), np.array(["2024-01-10"], dtype="datetime64[D]"),
        ...             np.array(["001"]), np.array([False]), np.array([30]))
        >>> str(j.date(np.array([0]), np.array([-5]))[0])
        '2024-01-05'
        """
        return self.inf[pat] + np.asarray(day).astype(int).astype(D)

    def dy(self, pat: np.ndarray, day: np.ndarray) -> np.ndarray:
        """The SDTM study day (--DY) of ``day``: there is no day 0 (SDTMIG v3.4 section 4.4.4).

        Day 0 of the journey (the infusion) is study day 1; days before it keep their sign.

        Parameters
        ----------
        pat : numpy.ndarray
            Patient indices (kept for symmetry with :meth:`date`).
        day : numpy.ndarray
            Days relative to the infusion.

        Returns
        -------
        numpy.ndarray
            Study days.

        Examples
        --------
        >>> import numpy as np
        >>> j = Journey(*(np.array([0]),) * 5)
        >>> j.dy(np.array([0, 0, 0]), np.array([-3, 0, 27])).tolist()
        [-3, 1, 28]
        """
        day = np.asarray(day)
        return np.where(day >= 0, day + 1, day)


@dataclass(frozen=True)
class Fate:
    """How each infused patient's follow-up ends (days after the infusion).

    Attributes
    ----------
    end_day : numpy.ndarray
        The last day followed.
    why : numpy.ndarray
        Index into :data:`END_REASONS`.
    died : numpy.ndarray
        Follow-up ended by death.
    death_day : numpy.ndarray
        The day of death (``inf`` when the patient does not die).
    nrm_death : numpy.ndarray
        Died without progression (non-relapse mortality, from sepsis in the example).
    """

    end_day: np.ndarray
    why: np.ndarray
    died: np.ndarray
    death_day: np.ndarray
    nrm_death: np.ndarray


def draw_fate(re: np.random.Generator, t_pd: np.ndarray, to_cutoff: np.ndarray) -> Fate:
    """Draw death, withdrawal and loss to follow-up and end each patient's follow-up.

    Death follows progression by 45 days plus an exponential time (mean 330 days); 3 % die
    without progression (uniform on days 45-400), 3 % withdraw (days 60-500) and 2 % are lost
    to follow-up (days 90-600). Follow-up ends at the first of these, the data cut-off and
    day 730. Assumptions of the synthetic example.

    Parameters
    ----------
    re : numpy.random.Generator
        The ``events`` stream (drawn in this order: death, non-relapse death, withdrawal, loss).
    t_pd : numpy.ndarray
        True progression day of each patient (``inf`` when never).
    to_cutoff : numpy.ndarray
        Days from each infusion to the data cut-off.

    Returns
    -------
    Fate
        End of follow-up, its reason and the deaths.

    Examples
    --------
    >>> import numpy as np
    >>> f = draw_fate(np.random.default_rng(0), np.array([np.inf, np.inf]), np.array([10, 900]))
    >>> bool((f.end_day <= [10, 730]).all()), END_REASONS[f.why[0]]
    (True, 'ONGOING')
    """
    n = len(t_pd)
    death = np.where(np.isfinite(t_pd), t_pd + 45 + re.exponential(330, n), np.inf)
    nrm = re.random(n) < 0.03
    death = np.where(nrm, np.minimum(death, re.uniform(45, 400, n)), death)
    wd = np.where(re.random(n) < 0.03, re.uniform(60, 500, n), np.inf)
    ltfu = np.where(re.random(n) < 0.02, re.uniform(90, 600, n), np.inf)
    death_d = np.floor(death).astype(float)
    end_candidates = np.vstack([death_d, np.floor(wd), np.floor(ltfu),
                                to_cutoff.astype(float), np.full(n, FOLLOW_UP_END_DAY)])
    why = np.argmin(end_candidates, axis=0)
    died = why == 0
    return Fate(end_day=end_candidates.min(axis=0).astype(int), why=why, died=died,
                death_day=death_d, nrm_death=died & nrm & (death_d < t_pd))


def visit_grid(days: list[int], window: int, n: int, end_day: np.ndarray,
               rng: np.random.Generator, p_miss: float, jitter_from: int = 8
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(patient, nominal day, actual day) of a visit schedule for ``n`` patients.

    From day ``jitter_from`` on, each visit moves uniformly within its window, the window
    narrowed so that neighbouring visits cannot cross (half the gap to each neighbour);
    visits after day 0 are missed with probability ``p_miss``; visits after a patient's
    ``end_day`` are not held.

    Parameters
    ----------
    days : list of int
        Nominal visit days.
    window : int
        The protocol's visit window (+/- days).
    n : int
        Number of patients.
    end_day : numpy.ndarray
        The last day each patient is followed.
    rng : numpy.random.Generator
        The ``visits`` stream (one uniform for the shift, then one for missing, per visit).
    p_miss : float
        Probability that a visit after day 0 is missed.
    jitter_from : int, default 8
        The first nominal day that moves within its window.

    Returns
    -------
    tuple of numpy.ndarray
        Patient index, nominal day and actual day of every visit held.

    Examples
    --------
    >>> import numpy as np
    >>> p, nom, act = visit_grid([0, 7, 14], 2, 1, np.array([10]), np.random.default_rng(0), 0)
    >>> p.tolist(), nom.tolist()
    ([0, 0], [0, 7])
    """
    nom = np.asarray(sorted(days))
    gaps = np.diff(nom)
    left = np.concatenate([[window], (gaps - 1) // 2])
    right = np.concatenate([(gaps - 1) // 2, [window]])
    w = np.minimum(window, np.minimum(left, right))
    w = np.where(nom >= jitter_from, w, 0)
    pat = np.repeat(np.arange(n), len(nom))
    nd = np.tile(nom, n)
    ww = np.tile(w, n)
    act = nd + np.round(rng.uniform(-1, 1, len(nd)) * ww).astype(int)
    keep = (act <= end_day[pat]) & ~((rng.random(len(nd)) < p_miss) & (nd > 0))
    return pat[keep], nd[keep], act[keep]


def data_cutoff(enr, sc) -> np.datetime64:  # noqa: ANN001
    """Data cut-off: the last infusion plus the scenario's follow-up.

    Parameters
    ----------
    enr : cartrial.example.conduct.Enrolment
        The enrolled patients (the apheresis date stands in when nobody was infused).
    sc : cartrial.example.scenarios.Scenario
        Gives ``follow_up_after_last_days``.

    Returns
    -------
    numpy.datetime64
        The cut-off date.
    """
    inf = enr.infusion[~np.isnat(enr.infusion)]
    last = inf.max() if len(inf) else enr.apheresis.max()
    return last + np.timedelta64(sc.follow_up_after_last_days, "D")
