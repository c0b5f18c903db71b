"""Design options shared by `cartrial design table` and `design simulate`: each sets one field
of the protocol's ``design`` section (``cartrial.protocol.DesignSpec``) without a protocol file,
or overrides the protocol's.
"""

from __future__ import annotations

from typing import Any

import typer

from cartrial.errors import InputError

Phi1Option = typer.Option(None, "--phi1", help="BOIN: highest sub-therapeutic rate (0.6 target).")
Phi2Option = typer.Option(None, "--phi2", help="BOIN: lowest overly toxic rate (1.4 target).")
CutoffOption = typer.Option(
    None, "--cutoff", help="Elimination (CRM: overdose) cutoff P(p > target), default 0.95."
)
ExtrasafeOption = typer.Option(
    None, "--extrasafe/--no-extrasafe", help="Stop when P(p1 > target) > cutoff - 0.05."
)
BoundMtdOption = typer.Option(
    None, "--bound-mtd/--no-bound-mtd", help="BOIN boundMTD: MTD estimate <= lambda_d."
)
PresetOption = typer.Option(None, "--preset", help="tite-boin: TITEgBOIN (R package defaults).")
SelectionPriorOption = typer.Option(
    None, "--selection-prior", help="a of the Beta(a, a) prior of the MTD selection (0.05)."
)
CrmPresetOption = typer.Option(None, "--crm-preset", help="CRM: dfcrm (R package defaults).")
SkeletonOption = typer.Option(None, "--skeleton", help="CRM skeleton, comma-separated.")
PriorMtdOption = typer.Option(None, "--prior-mtd-level", help="CRM: 1-based prior MTD level.")
PriorSdOption = typer.Option(None, "--prior-sd", help="CRM: prior SD of a (sqrt(1.34)).")
SafetyStopOption = typer.Option(
    None, "--safety-stop", help="CRM: stop when P(p1 > target) > this; 'none' = no safety stop."
)
OverdoseOption = typer.Option(
    None, "--overdose-control/--no-overdose-control", help="CRM: close doses above the cutoff."
)
SkippingOption = typer.Option(
    None, "--no-skipping/--allow-skipping", help="CRM: escalate at most one level at a time."
)
CoherenceOption = typer.Option(
    None, "--coherence/--no-coherence", help="CRM: no escalation right after a toxic cohort."
)


def floats(text: str, what: str) -> list[float]:
    """Comma-separated numbers, or an :class:`InputError` naming the option."""
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise InputError(f"{what} must be comma-separated numbers, got {text!r}") from None


def safety_stop(text: str | None) -> float | None | str:
    """``--safety-stop``: a probability, ``none`` (switch off), or unset (``"unset"``)."""
    if text is None:
        return "unset"
    if text.strip().lower() in ("none", "off", "null"):
        return None
    try:
        return float(text)
    except ValueError:
        raise InputError(f"--safety-stop must be a probability or 'none', got {text!r}") from None


def crm_overrides(
    preset: str | None,
    skeleton: str | None,
    prior_mtd_level: int | None,
    prior_sd: float | None,
    stop: str | None,
    overdose: bool | None,
    no_skipping: bool | None,
    coherence: bool | None,
) -> dict[str, Any]:
    """The ``design.crm`` fields given on the command line (unset ones left out)."""
    out: dict[str, Any] = {
        "preset": preset,
        "skeleton": None if skeleton is None else floats(skeleton, "--skeleton"),
        "prior_mtd_level": prior_mtd_level,
        "prior_sd": prior_sd,
        "overdose_control": overdose,
        "no_skipping": no_skipping,
        "coherence": coherence,
    }
    out = {k: v for k, v in out.items() if v is not None}
    s = safety_stop(stop)
    if s != "unset":
        out["safety_stop_probability"] = s
    return out


def merge_overrides(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """``base`` (a design section as a dict) with the given overrides; ``None`` = not given;
    ``crm`` and ``accrual`` are merged field by field."""
    out = dict(base)
    for key, val in overrides.items():
        if val is None or val == {}:
            continue
        if key == "patients_per_month":
            out["accrual"] = dict(out.get("accrual", {})) | {key: val}
        elif key == "crm":
            out["crm"] = dict(out.get("crm", {})) | val
        else:
            out[key] = val
    return out
