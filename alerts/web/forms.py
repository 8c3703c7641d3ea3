"""HTML forms: signed form tokens (CSRF) and form fields turned into the API's own request models.

The subscribe and manage forms are validated by the API's pydantic models (``SubscriptionIn``,
``SubscriptionPatch``): the web pages never check a field themselves, they only split comma-separated
lists and drop empty inputs, then show the models' messages next to the field they name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from pydantic import BaseModel, ValidationError

#: How long a page's form stays usable after the page was shown.
FORM_TOKEN_MAX_AGE = 6 * 3600
LIST_FIELDS = ("countries", "keywords", "languages")
CHOICE_FIELDS = ("categories", "event_types")
NUMBER_FIELDS = ("min_score", "min_killed")


def _serializer(secret: bytes) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="aidwatch.web.form")


def form_token(secret: bytes, action: str, subscription_id: str = "") -> str:
    """A signed, timestamped token binding a form to its action and subscription."""
    return _serializer(secret).dumps([action, subscription_id])


def check_form_token(secret: bytes, token: str, action: str, subscription_id: str = "") -> str | None:
    """None when ``token`` was made for this action and subscription less than the max age ago, else why not."""
    try:
        signed = _serializer(secret).loads(token, max_age=FORM_TOKEN_MAX_AGE)
    except SignatureExpired:
        return "expired"
    except BadSignature:
        return "invalid"
    return None if signed == [action, subscription_id] else "invalid"


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one form field, as the model reported it."""

    field: str  # the form field's name (``countries``, ``digest_every`` ...), "" for the whole form
    message: str


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.replace("\n", ",").split(",") if part.strip()]


def filters_from_form(form: dict[str, list[str]]) -> dict[str, Any]:
    """The ``filters`` object of the API from form fields (lists split on commas, empty inputs left out)."""
    filters: dict[str, Any] = {}
    for name in LIST_FIELDS:
        filters[name] = _split(",".join(form.get(name, [])))
    for name in CHOICE_FIELDS:
        filters[name] = [value for value in form.get(name, []) if value]
    for name in NUMBER_FIELDS:
        text = (form.get(name) or [""])[0].strip()
        if text:
            filters[name] = text  # the model parses and range-checks it
    return filters


def first(form: dict[str, list[str]], name: str) -> str:
    """The first value of a form field, stripped ("" when absent)."""
    return (form.get(name) or [""])[0].strip()


def schedule_from_form(form: dict[str, list[str]]) -> dict[str, Any]:
    """``mode`` and ``digest`` of the API from the form's delivery fields."""
    mode = first(form, "mode") or "instant"
    out: dict[str, Any] = {"mode": mode}
    if mode == "digest":
        digest = {"every": first(form, "digest_every") or "1d", "timezone": first(form, "digest_timezone") or "UTC"}
        if first(form, "digest_at"):
            digest["at"] = first(form, "digest_at")
        out["digest"] = digest
    else:
        out["digest"] = None
    return out


def validate(model: type[BaseModel], data: dict[str, Any]) -> tuple[Any, list[FieldError]]:
    """(model instance, []) or (None, the errors named by form field)."""
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        errors = []
        for error in exc.errors():
            path = [str(part) for part in error["loc"] if not isinstance(part, int)]
            if path[:1] in (["filters"], ["digest"]) and len(path) > 1:
                field = path[1] if path[0] == "filters" else f"digest_{path[1]}"
            else:
                field = path[0] if path else ""
            message = str(error["msg"]).removeprefix("Value error, ")
            errors.append(FieldError(field, message))
        return None, errors
