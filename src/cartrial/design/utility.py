"""Utility of toxicity x efficacy outcomes for phase I/II dose finding (BOIN12).

Lin R, Zhou Y, Yan F, Li D, Yuan Y. BOIN12: Bayesian optimal interval phase I/II trial design for
utility-based dose finding in immunotherapy and targeted therapies. JCO Precis Oncol
2020;4:1393-1402 (section "Utility", Table 1): each patient's outcome (response yes/no x DLT
yes/no) scores 0-100, 100 for a response without DLT and 0 for a DLT without response; the
paper's default scores are 60 for a response with DLT and 40 for neither.

BOIN12 scores a dose from its toxicity and response *margins* (its decision table is indexed by
patients, DLTs and responses), which is exact when the utility is additive in toxicity and
efficacy: ``response_dlt + no_response_no_dlt = 100`` (the paper's defaults, 60 + 40).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cartrial.errors import InputError


@dataclass(frozen=True)
class UtilityTable:
    """Scores (0-100) of the four outcomes of one patient.

    Attributes
    ----------
    response_dlt : float
        Response and DLT (the paper's u11; default 60).
    no_response_no_dlt : float
        Neither response nor DLT (the paper's u00; default 40).
    response_no_dlt : float
        Response without DLT: the best outcome, fixed at 100.
    no_response_dlt : float
        DLT without response: the worst outcome, fixed at 0.

    References
    ----------
    Lin R, et al. JCO Precis Oncol 2020;4:1393-1402, Table 1.

    Examples
    --------
    >>> UtilityTable().mean(tox=0.35, eff=0.25)
    41.0
    """

    response_dlt: float = 60.0
    no_response_no_dlt: float = 40.0
    response_no_dlt: float = 100.0
    no_response_dlt: float = 0.0

    def __post_init__(self) -> None:
        if self.response_no_dlt != 100 or self.no_response_dlt != 0:
            raise InputError(
                "utility: a response without DLT scores 100 and a DLT without response scores 0 "
                f"(Lin et al. 2020, Table 1), got {self.response_no_dlt!r} and "
                f"{self.no_response_dlt!r}"
            )
        for name in ("response_dlt", "no_response_no_dlt"):
            v = float(getattr(self, name))
            if not 0 <= v <= 100:
                raise InputError(f"utility: {name} must lie in [0, 100], got {v!r}")
            object.__setattr__(self, name, v)
        if abs(self.response_dlt + self.no_response_no_dlt - 100) > 1e-9:
            raise InputError(
                "utility: BOIN12 scores a dose from its DLT and response margins, which needs an "
                "additive utility: response_dlt + no_response_no_dlt = 100 (Lin et al. 2020 "
                f"defaults 60 + 40), got {self.response_dlt:g} + {self.no_response_no_dlt:g}"
            )

    def mean(self, tox: float | np.ndarray, eff: float | np.ndarray) -> float | np.ndarray:
        """Expected utility of a dose with DLT probability ``tox`` and response probability
        ``eff`` (additive form, so it does not depend on their correlation).

        Parameters
        ----------
        tox, eff : float or array
            Probabilities of DLT and of response.

        Returns
        -------
        float or array
            ``response_dlt * eff + no_response_no_dlt * (1 - tox)``.
        """
        out = self.response_dlt * np.asarray(eff, float) + self.no_response_no_dlt * (
            1 - np.asarray(tox, float)
        )
        return float(out) if np.ndim(out) == 0 else out

    def pseudo_responses(self, n: np.ndarray, dlt: np.ndarray, resp: np.ndarray) -> np.ndarray:
        """Quasi-binomial 'successes' x = sum of patients' utilities / 100 at each dose.

        Parameters
        ----------
        n, dlt, resp : arrays of int
            Patients, DLTs and responses per dose.

        Returns
        -------
        numpy.ndarray
            ``(response_dlt * resp + no_response_no_dlt * (n - dlt)) / 100``.
        """
        n, dlt, resp = (np.asarray(a, dtype=float) for a in (n, dlt, resp))
        return (self.response_dlt * resp + self.no_response_no_dlt * (n - dlt)) / 100.0

    def benchmark(self, phi_t: float, phi_e: float) -> tuple[float, float]:
        """(highest unacceptable utility u_bar, benchmark u_b) of Lin et al. 2020.

        Parameters
        ----------
        phi_t, phi_e : float
            Highest acceptable DLT probability and lowest acceptable response probability.

        Returns
        -------
        tuple of float
            ``u_bar`` = utility of a dose at (phi_t, phi_e), outcomes independent;
            ``u_b = u_bar + (100 - u_bar) / 2``.

        Examples
        --------
        >>> UtilityTable().benchmark(0.35, 0.25)
        (41.0, 70.5)
        """
        p11 = phi_t * phi_e
        u_bar = (
            self.response_no_dlt * phi_e * (1 - phi_t)
            + self.response_dlt * p11
            + self.no_response_no_dlt * (1 - phi_e) * (1 - phi_t)
        )
        u_bar = round(u_bar, 12)
        return u_bar, round(u_bar + (100 - u_bar) / 2, 12)
