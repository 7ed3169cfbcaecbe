"""The error catalogue: every API error is an `ApiError` with code, subcode and message.

Messages follow the reference format: catalogue text capitalised (first letter upper, rest
lower), then an optional ` (<extra>)`, then an optional `: k=v, k2=v2` with collections shown
as `(a, b)`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class ApiError(Exception):
    def __init__(
        self, code: int, subcode: int, message: str, data: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.subcode = subcode
        self.message = message
        self.data = data or {}


def _render(value: Any) -> str:
    if isinstance(value, (list, tuple, set, frozenset)):
        return "(" + ", ".join(str(v) for v in value) + ")"
    return str(value)


def format_message(text: str, extra: str | None = None, **fields: Any) -> str:
    msg = text[:1].upper() + text[1:].lower() if text else ""
    if extra:
        msg += f" ({extra})"
    if fields:
        msg += ": " + ", ".join(f"{k}={_render(v)}" for k, v in fields.items())
    return msg


def _json_safe(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if isinstance(value, (set, frozenset, tuple)):
            value = list(value)
        out[key] = value
    return out


class Catalogue:
    """One entry of the catalogue; calling it builds the error."""

    def __init__(self, code: int, subcode: int, text: str) -> None:
        self.code, self.subcode, self.text = code, subcode, text

    def __call__(self, extra: str | None = None, **fields: Any) -> ApiError:
        return ApiError(
            self.code,
            self.subcode,
            format_message(self.text, extra, **fields),
            _json_safe(fields),
        )


# 400
invalid_id = Catalogue(400, 10, "invalid object id")
missing_required_fields = Catalogue(400, 11, "missing required fields")
validation_error = Catalogue(400, 12, "validation error")
invalid_fields = Catalogue(400, 14, "fields not defined for object")
fields_value_error = Catalogue(400, 16, "invalid value for fields")
batch_contains_no_items = Catalogue(400, 17, "batch request contains no items")
invalid_regex_error = Catalogue(400, 21, "malformed regular expression")
invalid_task_id = Catalogue(400, 101, "invalid task id")
invalid_task_status = Catalogue(400, 110, "invalid task status")
failed_changing_task_status = Catalogue(
    400, 121, "failed changing task status. probably someone changed it before you"
)
missing_task_fields = Catalogue(400, 122, "task is missing expected fields")
task_cannot_be_deleted = Catalogue(400, 123, "task cannot be deleted")
invalid_model_id = Catalogue(400, 201, "invalid model id")
model_is_ready = Catalogue(400, 203, "model is ready")
invalid_project_id = Catalogue(400, 401, "invalid project id")
project_has_tasks = Catalogue(400, 402, "project has associated tasks")
project_has_models = Catalogue(400, 403, "project has associated models")
project_not_empty = Catalogue(400, 404, "project has associated tasks or models")
data_validation_error = Catalogue(400, 800, "data validation error")
expected_unique_data = Catalogue(
    400, 801, "value combination already exists (unique field already contains this value)"
)
invalid_user_id = Catalogue(400, 1002, "invalid user id")
invalid_access_key = Catalogue(400, 1003, "invalid access key")
# 401
bad_auth_type = Catalogue(401, 10, "unauthorized")
missing_credentials = Catalogue(401, 20, "unauthorized")
malformed_credentials = Catalogue(401, 21, "unauthorized")
invalid_credentials = Catalogue(401, 22, "unauthorized")
invalid_token = Catalogue(401, 30, "invalid token")
# 403
role_not_allowed = Catalogue(403, 20, "forbidden")
no_write_permission = Catalogue(403, 21, "forbidden")
# 500
internal_error = Catalogue(500, 1, "internal server error")


def general(code: int, message: str) -> ApiError:
    """An error with subcode 0 and a literal message (paths, JSON decoding, unexpected)."""
    return ApiError(code, 0, message)


def public_write(ids: Iterable[str], kind: str = "task") -> ApiError:
    ids_repr = "(" + ", ".join(repr(i) for i in ids) + ",)"
    return ApiError(
        403,
        21,
        f"Forbidden (modification not allowed) (cannot modify public {kind}(s), ids={ids_repr})",
    )
