"""Protocol files: YAML validated into frozen pydantic models."""

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
    "SafetySettings",
    "Schedule",
    "bundled_names",
    "load_protocol",
    "parse_protocol",
    "protocol_hash",
    "protocol_text",
]
