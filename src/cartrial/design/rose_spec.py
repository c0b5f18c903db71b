"""The protocol's randomised ROSE stage as a design and as a seeded randomisation list.

:class:`~cartrial.protocol.randomised_stage.RandomisedStageSpec` (``design.randomised_stage``)
names the two doses or the rule that picks them, the PCS targets or a fixed n per arm, the
allocation ratio and the seed; here it becomes the :class:`~cartrial.design.rose.RoseDesign` it
runs and the permuted-block list drawn from ``numpy.random.SeedSequence(seed)``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from cartrial.errors import InputError
from cartrial.protocol.randomised_stage import RandomisedStageSpec

if TYPE_CHECKING:
    from cartrial.design.rose import RoseDesign

__all__ = ["RandomisedStageSpec", "randomisation_list", "stage_design"]


def stage_design(spec: RandomisedStageSpec) -> RoseDesign:
    """The :class:`~cartrial.design.rose.RoseDesign` the protocol's stage runs.

    Examples
    --------
    >>> s = RandomisedStageSpec(rule="selected-and-next-lower", p_high=0.3, margin=0.1,
    ...                         pcs_low=0.6, pcs_high=0.6, method="normal")
    >>> stage_design(s).n_low
    11
    """
    from cartrial.design.rose import fixed_design, rose_design

    if spec.n_per_arm is not None and spec.boundary is not None:
        return fixed_design(spec.n_per_arm, spec.boundary, spec.p_high, spec.margin,
                            spec.pcs_low, spec.pcs_high, ratio=spec.ratio)
    return rose_design(spec.p_high, spec.margin, spec.pcs_low, spec.pcs_high, ratio=spec.ratio,
                       interim_fraction=spec.interim_fraction, method=spec.method)


def randomisation_list(spec: RandomisedStageSpec, n_low: int, n_high: int) -> list[str]:
    """Arms ("low" / "high") in order: permuted blocks covering n_low + n_high patients.

    Each block holds ``block_multiple`` x (a + b) patients in the ratio a:b (``allocation``)
    and is shuffled by a generator seeded with ``SeedSequence(seed)``; whole blocks are listed
    until both arms have their patients, so the list may run past the planned total.

    Raises
    ------
    InputError
        A planned count below 1.

    Examples
    --------
    >>> s = RandomisedStageSpec(doses=["DL1", "DL2"], p_high=0.3, margin=0.1)
    >>> arms = randomisation_list(s, 4, 4)
    >>> len(arms), arms.count("low")
    (8, 4)
    """
    import numpy as np

    if n_low < 1 or n_high < 1:
        raise InputError(f"randomisation list needs >= 1 patient per arm, got {n_low}, {n_high}")
    a, b = spec.allocation
    m = spec.block_multiple
    block = np.array(["low"] * (m * a) + ["high"] * (m * b))
    blocks = max(math.ceil(n_low / (m * a)), math.ceil(n_high / (m * b)))
    rng = np.random.default_rng(np.random.SeedSequence(spec.seed))
    return [str(x) for _ in range(blocks) for x in rng.permutation(block)]
