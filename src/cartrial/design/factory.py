"""Build a design from the protocol's ``design`` section (cartrial.protocol.DesignSpec)."""

from __future__ import annotations

from cartrial.design.boin import Boin, TiteBoin
from cartrial.design.crm import Crm, TiteCrm, crm_skeleton
from cartrial.design.interval import I3plus3, Mtpi2
from cartrial.design.state import Design
from cartrial.design.three_plus_three import ThreePlusThree
from cartrial.errors import InputError
from cartrial.protocol import DesignSpec


def design_from_spec(spec: DesignSpec, n_doses: int) -> Design:
    """The :class:`Design` a protocol names, with its parameters.

    ``cap_per_dose`` is BOIN's ``n.earlystop`` (table-driven designs); ``max_sample_size`` stops
    every design; CRM uses ``crm.skeleton`` or calibrates one with :func:`crm_skeleton`;
    TITE designs take the DLT window from ``dlt_window_days``.

    Parameters
    ----------
    spec : cartrial.protocol.DesignSpec
        The protocol's ``design`` block (name, target, cohort size, caps, DLT window, ...).
    n_doses : int
        Number of dose levels in the protocol.

    Returns
    -------
    Design
        The configured design (:class:`Boin`, :class:`Crm`, :class:`ThreePlusThree`, ...).

    Raises
    ------
    InputError
        When ``n_doses`` < 1 or the spec's parameters do not fit the design.

    Examples
    --------
    >>> from cartrial.protocol import DesignSpec
    >>> spec = DesignSpec(name="boin", target=0.3, cohort_size=3, max_sample_size=30,
    ...                   dlt_window_days=28)
    >>> d = design_from_spec(spec, n_doses=5)
    >>> type(d).__name__, d.n_doses, d.max_sample_size
    ('Boin', 5, 30)
    """
    if n_doses < 1:
        raise InputError(f"design_from_spec: n_doses must be >= 1, but was {n_doses!r}")
    common = {"n_doses": n_doses, "target": spec.target, "max_sample_size": spec.max_sample_size}
    table = {
        **common,
        "cohort_size": spec.cohort_size,
        "cutoff": spec.elimination_cutoff,
        "extrasafe": spec.extrasafe,
        "cap_per_dose": spec.cap_per_dose,
    }
    name = spec.name
    if name in ("boin", "tite-boin"):
        kw = {
            **table,
            "phi1": spec.phi1,
            "phi2": spec.phi2,
            "bound_mtd": spec.bound_mtd,
            "selection_prior": spec.selection_prior,
            "backfill": spec.backfill.enabled,
            "backfill_cap": spec.backfill.max_per_dose,
        }
        if name == "boin":
            return Boin(**kw)
        return TiteBoin(
            **kw,
            dlt_window=float(spec.dlt_window_days),
            max_pending_fraction=spec.accrual.max_pending_fraction,
        )
    if name in ("i3+3", "mtpi2"):
        cls = I3plus3 if name == "i3+3" else Mtpi2
        return cls(
            **table,
            epsilon_low=spec.interval.epsilon_low,
            epsilon_high=spec.interval.epsilon_high,
        )
    if name == "boin12":  # phase I/II: decides on DLT and response (Lin et al. 2020)
        from cartrial.design.boin12 import boin12_from_spec

        return boin12_from_spec(spec, n_doses)
    if name == "tite-boin12":  # its decide takes patients (conduct.tite_phase12 adapts)
        from cartrial.design.tite_boin12 import tite_boin12_from_spec

        return tite_boin12_from_spec(spec, n_doses)  # type: ignore[return-value]
    if name == "u-boin":  # phase I/II, two stages (Zhou, Lee & Yuan 2019)
        from cartrial.design.uboin import uboin_from_spec

        return uboin_from_spec(spec, n_doses)  # type: ignore[return-value]
    if name == "boin-et":  # phase I/II on DLT and response rates (Takeda et al. 2018)
        from cartrial.design.boinet import boinet_from_spec

        return boinet_from_spec(spec, n_doses)  # type: ignore[return-value]
    if name == "3+3":
        return ThreePlusThree(**common, cohort_size=spec.cohort_size)
    if name in ("crm", "tite-crm"):
        c = spec.crm
        if c.skeleton is not None:
            skeleton = tuple(c.skeleton)
        else:
            if c.prior_mtd_level > n_doses:
                raise InputError(
                    f"design.crm.prior_mtd_level = {c.prior_mtd_level} exceeds the {n_doses} doses"
                )
            skeleton = crm_skeleton(c.halfwidth, spec.target, c.prior_mtd_level, n_doses)
        kw = {
            **common,
            "skeleton": skeleton,
            "cohort_size": spec.cohort_size,
            "prior_sd": c.prior_sd,
            "safety_stop": c.safety_stop_probability,
            "overdose_cutoff": spec.elimination_cutoff if c.overdose_control else None,
            "coherence": c.coherence,
            "no_skipping": c.no_skipping,
        }
        if name == "crm":
            return Crm(**kw)
        return TiteCrm(**kw, dlt_window=float(spec.dlt_window_days))
    raise InputError(f"unknown design {name!r}")  # pragma: no cover - DesignSpec forbids it
