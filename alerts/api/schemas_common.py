"""What every HTTP API body shares: the strict request base, the answer base and the field types used
across routes (contract: docs/api.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict

from alerts.limits import check_instant
from alerts.models import CATEGORIES, EVENT_TYPES

Category = Literal[CATEGORIES]  # type: ignore[valid-type]
EventType = Literal[EVENT_TYPES]  # type: ignore[valid-type]
#: An instant given by a client: with a time zone, between 1900 and 9000, answered in UTC.
Timestamp = Annotated[datetime, AfterValidator(check_instant)]


class StrictBody(BaseModel):
    """Base of every request body: unknown keys, NaN and Infinity are refused."""

    # Python's json module reads NaN and Infinity: refuse them, no range check can be made on them.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class AnswerBody(BaseModel):
    """Base of every answer body: each field is always present (null when there is no value)."""

    # An answer always carries every field (null when there is no value): the OpenAPI document says so.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)
