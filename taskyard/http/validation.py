"""Request models: pydantic validation errors become 400/12 with the reference messages."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from taskyard import errors
from taskyard.errors import ApiError

_TYPE_NAMES = {
    "string_type": "str",
    "int_type": "int",
    "int_parsing": "int",
    "int_from_float": "int",
    "float_type": "float",
    "float_parsing": "float",
    "bool_type": "bool",
    "bool_parsing": "bool",
    "dict_type": "dict",
    "list_type": "list",
}


class RequestModel(BaseModel):
    """Base of every request model: unknown keys are ignored, as clients rely on."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


def _field(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc)


def to_api_error(exc: ValidationError) -> ApiError:
    first = exc.errors(include_url=False)[0]
    field = _field(first["loc"])
    kind = first["type"]
    if kind == "missing":
        return errors.validation_error(f"error for field '{field}'. field is required!")
    if kind in _TYPE_NAMES:
        value = first.get("input")
        return errors.validation_error(
            f"error for field '{field}': ('value is wrong, expected type \"{_TYPE_NAMES[kind]}\"', "
            f"{value!r}).".lower()
        )
    if kind in ("literal_error", "enum"):
        return errors.validation_error(
            f"error for field '{field}': value {first.get('input')!r} is not a valid choice."
        )
    return errors.validation_error(f"error for field '{field}': {first['msg']}".lower())


def parse(model: type[BaseModel], data: dict[str, Any]) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise to_api_error(exc) from None
