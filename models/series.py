"""Time series in a scenario: a scalar or a ``{year: value}`` mapping, forward-filled."""

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema

SCALAR_KEY = 0  # a scalar is stored as {0: value}: every year is at or after year 0


def _to_mapping(value: Any) -> Any:
    """Store a scalar as a one-key mapping so that one type carries both forms.

    One type (not a union) keeps pydantic's error paths free of branch names.
    """
    if isinstance(value, bool):
        return value  # let pydantic reject it with its own message
    if isinstance(value, int | float):
        return {SCALAR_KEY: value}
    if not isinstance(value, dict):
        raise ValueError(f"must be a number or a {{year: number}} mapping, not {value!r:.40}")
    return value


_SCHEMA = {
    "anyOf": [
        {"type": "number", "minimum": 0},
        {
            "type": "object",
            "additionalProperties": {"type": "number", "minimum": 0},
            "propertyNames": {"pattern": "^[0-9]{4}$"},
        },
    ],
    "description": "A number, or {year: number} forward-filled over the horizon.",
}

Series = Annotated[
    Annotated[dict[int, Annotated[float, Field(ge=0)]], Field(min_length=1)],
    BeforeValidator(_to_mapping),
    WithJsonSchema(_SCHEMA),
]
"""A non-negative series: scalar or ``{year: value}``."""

Events = Annotated[
    dict[int, Annotated[float, Field(ge=0)]],
    WithJsonSchema({"type": "object", "additionalProperties": {"type": "number", "minimum": 0}}),
]
"""Values in the named years only, nothing in the others (``pipeline``)."""


def value_at(series: dict[int, float], year: int) -> float:
    """The value of a forward-filled series in ``year``.

    A year takes the value of the latest key at or before it; years before the
    first key take the first key's value.
    """
    keys = sorted(series)
    earlier = [k for k in keys if k <= year]
    return series[earlier[-1] if earlier else keys[0]]


def expand(series: dict[int, float], years: range) -> dict[int, float]:
    """The series' value in every year of ``years``."""
    return {t: value_at(series, t) for t in years}
