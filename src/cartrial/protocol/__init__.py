"""Protocol files: YAML validated into frozen pydantic models."""

from typing import TYPE_CHECKING

from cartrial._lazy import attach

if TYPE_CHECKING:
    from cartrial.protocol.load import (
        ProtocolError,
        bundled_names,
        load_protocol,
        parse_protocol,
        protocol_hash,
        protocol_text,
    )
    from cartrial.protocol.model import (
        DesignSpec,
        DltDefinition,
        DltRule,
        DoseLevel,
        DurationCondition,
        EndpointSettings,
        KineticsSettings,
        Protocol,
        SafetySettings,
        Schedule,
    )
    from cartrial.protocol.randomised_stage import RandomisedStageSpec

__all__ = [
    "DesignSpec",
    "DltDefinition",
    "DltRule",
    "DoseLevel",
    "DurationCondition",
    "EndpointSettings",
    "KineticsSettings",
    "Protocol",
    "ProtocolError",
    "RandomisedStageSpec",
    "SafetySettings",
    "Schedule",
    "bundled_names",
    "load_protocol",
    "parse_protocol",
    "protocol_hash",
    "protocol_text",
]

__getattr__, __dir__ = attach(__name__, __file__, __all__)
