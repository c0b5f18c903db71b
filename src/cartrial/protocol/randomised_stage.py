"""``design.randomised_stage``: the randomised ROSE stage that follows escalation.

After escalation, patients are randomised between two doses -- named in the protocol
(``doses: [DL2, DL3]``, lower first) or picked by a rule from the escalation's selection
(``rule: selected-and-next-lower``: the selected MTD / OBD and the dose below it) -- and the
dose is chosen by the ROSE rule (Wang, Yuan & Liu, Biometrics 2025;81(4):ujaf124). The sample
size is either given (``n_per_arm`` with ``boundary``) or derived from the PCS targets
(``pcs_low``, ``pcs_high``) under the configurations set by ``p_high`` and ``margin``;
``allocation`` and ``seed`` fix the randomisation list
(:func:`cartrial.design.rose_spec.randomisation_list`). The design engine is
:mod:`cartrial.design.rose`; this module only validates the protocol's block.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

RULES = ("selected-and-next-lower",)


class RandomisedStageSpec(BaseModel):
    """The randomised dose-optimisation stage (ROSE) that follows escalation.

    Attributes
    ----------
    doses : tuple of str, optional
        Two dose level ids, lower first; or give ``rule`` ("selected-and-next-lower").
    p_high, margin : float
        Assumed response probability at the higher dose, and the clinically meaningful
        difference delta (the lower dose responds with ``p_high - margin``).
    pcs_low, pcs_high : float
        Targeted probabilities of correct selection (0.5-1) when the lower / higher dose is
        optimal; they size the stage unless ``n_per_arm`` and ``boundary`` are given.
    interim_fraction : float, optional
        Two-stage ROSE: the interim after this fraction of patients.
    method : str
        "exact" (binomial, default) or "normal" approximation.
    allocation : tuple of int
        Randomisation ratio lower:higher; ``block_multiple`` and ``seed`` fix the list.

    Raises
    ------
    pydantic.ValidationError
        Neither or both of ``doses`` / ``rule``; ``n_per_arm`` without ``boundary``;
        ``margin > p_high``; a non-positive allocation.

    References
    ----------
    Wang, Yuan & Liu, Biometrics 2025;81(4):ujaf124.

    Examples
    --------
    >>> s = RandomisedStageSpec(doses=("DL1", "DL2"), p_high=0.6, margin=0.2)
    >>> s.ratio, s.method, s.pcs_low
    (1.0, 'exact', 0.65)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    doses: tuple[str, ...] | None = Field(
        default=None, description="two dose level ids, lower first (or give rule)"
    )
    rule: Literal["selected-and-next-lower"] | None = Field(
        default=None, description="pick the doses from the escalation's selection"
    )
    p_high: float = Field(gt=0, lt=1, description="assumed response probability, higher dose")
    margin: float = Field(gt=0, lt=1, description="delta: clinically meaningful difference")
    pcs_low: float = Field(default=0.65, gt=0.5, lt=1, description="PCS, lower dose is the OBD")
    pcs_high: float = Field(default=0.65, gt=0.5, lt=1, description="PCS, higher dose is OBD")
    n_per_arm: int | None = Field(
        default=None, ge=1, le=1000, description="patients on the lower dose (else searched)"
    )
    boundary: float | None = Field(default=None, ge=0, lt=1, description="lambda with n_per_arm")
    interim_fraction: float | None = Field(
        default=None, gt=0, lt=1, description="two-stage ROSE: interim after this fraction"
    )
    method: Literal["normal", "exact"] = "exact"
    allocation: tuple[int, int] = Field(
        default=(1, 1), description="randomisation ratio lower:higher, e.g. [1, 1]"
    )
    block_multiple: int = Field(default=2, ge=1, le=10, description="block = this x sum ratio")
    seed: int = Field(default=20261206, ge=0)

    @model_validator(mode="after")
    def _check(self) -> RandomisedStageSpec:
        if (self.doses is None) == (self.rule is None):
            raise ValueError("randomised_stage names its two doses (doses: [low, high]) or the "
                             f"rule that picks them (rule: one of {RULES}), exactly one of them")
        if self.doses is not None and (len(self.doses) != 2 or len(set(self.doses)) != 2):
            raise ValueError(f"randomised_stage.doses must be two distinct dose level ids, "
                             f"got {self.doses}")
        if (self.n_per_arm is None) != (self.boundary is None):
            raise ValueError("randomised_stage.n_per_arm and boundary go together (a fixed "
                             "design); leave both out to size the stage from pcs_low/pcs_high")
        if self.n_per_arm is not None and self.interim_fraction is not None:
            raise ValueError("a fixed n_per_arm/boundary is a one-stage design; the two-stage "
                             "design (interim_fraction) is sized from the PCS targets")
        if not self.margin <= self.p_high:
            raise ValueError(f"randomised_stage.margin ({self.margin}) must not exceed p_high "
                             f"({self.p_high}): the lower dose responds with p_high - margin")
        if min(self.allocation) < 1:
            raise ValueError(f"randomised_stage.allocation must be positive integers, got "
                             f"{list(self.allocation)}")
        return self

    @property
    def ratio(self) -> float:
        """n_high / n_low."""
        return self.allocation[1] / self.allocation[0]


def check_stage_doses(spec: RandomisedStageSpec | None, dose_ids: list[str]) -> None:
    """Raise ValueError when named doses are not dose levels or not listed lower first."""
    if spec is None or spec.doses is None:
        return
    missing = [d for d in spec.doses if d not in dose_ids]
    if missing:
        raise ValueError(f"randomised_stage.doses {missing} are not dose level ids {dose_ids}")
    if dose_ids.index(spec.doses[0]) > dose_ids.index(spec.doses[1]):
        raise ValueError(f"randomised_stage.doses must list the lower dose first, got "
                         f"{list(spec.doses)}")
