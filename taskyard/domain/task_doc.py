"""Task documents: defaults, normalisation, tag rules and the per-version shapes.

The store keeps one canonical, modern form of a task: `hyperparams`, `configuration` and
`models.input/output` are stored; the legacy fields (`execution.parameters`, `execution.model`,
`output.model`) are derived on the way out for old API versions (`for_version`) and turned into
the modern form on the way in (`input_for_version`). Keys starting with `_` are private to the
store and never shown.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Any

import orjson

from taskyard import errors
from taskyard.versions import MODERN, Version

TAGS_MERGED_BELOW = Version(2, 3)  # §1.8: tags ∪ system_tags on output, reserved names moved
MODELS_LEGACY_BELOW = Version(2, 13)  # execution.model / output.model shown below this

# The hyperparams section that holds the legacy `execution.parameters`.
ARGS_SECTION = "Args"
INPUT_MODEL_NAME = "input"
OUTPUT_MODEL_NAME = "output"
# Private: the JSON values of legacy parameters, so old clients read back what they wrote.
RAW_PARAMS = "_params_raw"
# Every private key a document can hold (stored, or carried between the input adapters); all
# start with "_" and none is ever shown to a client.
LEGACY_INPUT_KEYS = ("_legacy_args", "_legacy_input_model")
PRIVATE_KEYS = (RAW_PARAMS, *LEGACY_INPUT_KEYS)
# Any private key as it appears in a document's JSON text (a key is never written escaped);
# one regular expression scans the text once, where three `in` tests took 13 times as long.
_PRIVATE_KEY_TEXT = re.compile("|".join(re.escape(f'"{key}"') for key in PRIVATE_KEYS))

# Stored fields the legacy fields are derived from: a projection of the legacy field must read
# these (for the query helper's only_fields).
LEGACY_SOURCES: dict[str, tuple[str, ...]] = {
    "execution.parameters": ("hyperparams", RAW_PARAMS),
    "execution.model": ("models",),
    "output.model": ("models",),
}

TASK_TYPES_SEED = ("training", "testing")
TASK_TYPES = (
    "training",
    "testing",
    "inference",
    "data_processing",
    "application",
    "monitor",
    "controller",
    "optimizer",
    "service",
    "qc",
    "custom",
    "report",
)

SCRIPT_KEYS = frozenset(
    {
        "binary",
        "repository",
        "tag",
        "branch",
        "version_num",
        "entry_point",
        "working_dir",
        "requirements",
        "diff",
    }
)
EXECUTION_KEYS_SEED = frozenset(
    {
        "test_split",
        "parameters",
        "model",
        "model_desc",
        "model_labels",
        "framework",
        "artifacts",
        "queue",
    }
)
# HEAD drops execution keys it does not know; these it keeps.
EXECUTION_KEYS = EXECUTION_KEYS_SEED | {"docker_cmd"}
ARTIFACT_MODES = ("input", "output")

MODERN_SCRIPT_DEFAULT: dict[str, Any] = {"binary": "python", "repository": "", "entry_point": ""}


# -- tags (§1.8) ---------------------------------------------------------------------------
def is_reserved_tag(tag: str) -> bool:
    name = tag[1:] if tag.startswith("-") else tag
    low = name.lower()
    return low in ("active", "archived", "development") or low.startswith("annotat")


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Duplicates removed, sorted (HEAD); `__$` prefixes are refused."""
    values = [t for t in tags]
    bad = [t for t in values if isinstance(t, str) and t.startswith("__$")]
    if bad:
        raise errors.fields_value_error("unsupported tag prefix", values=bad)
    return sorted(set(values))


def conform_tags_input(fields: dict[str, Any]) -> None:
    """Below 2.3: reserved names given in `tags` move to `system_tags` (in place)."""
    tags = fields.get("tags")
    if tags is None or fields.get("system_tags"):
        return
    fields["system_tags"] = [t for t in tags if is_reserved_tag(t)]
    fields["tags"] = [t for t in tags if not is_reserved_tag(t)]


# -- values ----------------------------------------------------------------------------------
def param_text(value: Any) -> str:
    """A legacy parameter value as the string hyperparams store."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)) or value is None:
        return "" if value is None else str(value)
    return orjson.dumps(value).decode()


def _type_message(field: str, kind: str, value: Any) -> str:
    return f"error for field '{field}': ('value is wrong, expected type \"{kind}\"', {value!r})."


# -- input -----------------------------------------------------------------------------------
def check_parameter_keys(parameters: dict[str, Any]) -> dict[str, Any]:
    out = {str(k).strip(): v for k, v in parameters.items()}
    bad = [k for k in out if any(ch.isspace() for ch in k)]
    if bad:
        raise errors.validation_error("execution.parameters keys contain whitespace", keys=bad)
    return out


def parameters_to_hyperparams(parameters: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Legacy parameters → (the `Args` section, the raw values kept for old clients)."""
    section = {
        name: {"section": ARGS_SECTION, "name": name, "value": param_text(value)}
        for name, value in parameters.items()
    }
    raw = {name: value for name, value in parameters.items() if not isinstance(value, str)}
    return section, raw


def validate_script(script: Any) -> dict[str, Any]:
    if not isinstance(script, dict):
        raise errors.validation_error("script must be an object", field="script")
    unknown = sorted(set(script) - SCRIPT_KEYS)
    if unknown:
        raise errors.validation_error(document="Script", field=unknown[0])
    out = dict(script)
    for key, value in list(out.items()):
        if isinstance(value, str) and key != "diff":
            out[key] = value.strip()
    return out


def validate_artifacts(artifacts: Any) -> list[dict[str, Any]]:
    if not isinstance(artifacts, list):
        raise errors.validation_error("expected list", field="execution.artifacts")
    out = []
    for item in artifacts:
        if not isinstance(item, dict):
            raise errors.validation_error("expected object", field="artifacts")
        for req in ("key", "type"):
            if not isinstance(item.get(req), str):
                raise errors.validation_error(f"error for field '{req}'. field is required!")
        art = {k: v for k, v in item.items() if v is not None}
        mode = art.setdefault("mode", "output")
        if mode not in ARTIFACT_MODES:
            raise errors.validation_error(
                f"error for field 'mode': value {mode!r} is not a valid choice."
            )
        out.append(art)
    return out


def validate_execution(execution: Any, version: Version) -> dict[str, Any]:
    if not isinstance(execution, dict):
        raise errors.validation_error("execution must be an object", field="execution")
    if version >= MODERN:
        out = {k: v for k, v in execution.items() if k in EXECUTION_KEYS}
    else:
        unknown = sorted(set(execution) - EXECUTION_KEYS_SEED)
        if unknown:
            raise errors.validation_error(document="Execution", field=unknown[0])
        out = dict(execution)
    if "artifacts" in out and out["artifacts"] is not None:
        out["artifacts"] = validate_artifacts(out["artifacts"])
    for key in ("parameters", "model_desc", "model_labels"):
        if key in out and out[key] is not None and not isinstance(out[key], dict):
            raise errors.validation_error("expected object", field=f"execution.{key}")
    return out


def validate_models(models: Any) -> dict[str, Any]:
    if not isinstance(models, dict):
        raise errors.validation_error("models must be an object", field="models")
    out: dict[str, Any] = {}
    for kind in ("input", "output"):
        items = models.get(kind) or []
        if not isinstance(items, list):
            raise errors.validation_error("expected list", field=f"models.{kind}")
        clean = []
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("model"), str):
                raise errors.validation_error(
                    f"error for field 'models.{kind}.model'. field is required!"
                )
            clean.append({"name": str(item.get("name") or ""), "model": item["model"]})
        out[kind] = clean
    return out


def input_for_version(fields: dict[str, Any], version: Version) -> dict[str, Any]:
    """Request fields (create/edit/validate) → canonical stored fields for this version.

    Returns a new dict. Legacy inputs become modern ones: `execution.parameters` (below 2.9)
    becomes the `Args` hyperparams section, `execution.model` (below 2.13) the input model;
    from 2.9 on `execution.parameters` is dropped, as HEAD does.
    """
    out = {k: copy.deepcopy(v) for k, v in fields.items() if v is not None}
    if version < TAGS_MERGED_BELOW:
        conform_tags_input(out)
    for key in ("tags", "system_tags"):
        if key in out:
            if not isinstance(out[key], list):
                raise errors.validation_error("expected list", field=key)
            out[key] = clean_tags(out[key])
    if "name" in out:
        if not isinstance(out["name"], str):
            raise errors.validation_error(_type_message("name", "str", out["name"]))
        out["name"] = out["name"].strip()
    if "script" in out:
        out["script"] = validate_script(out["script"])
    if "output_dest" in out:
        out["output"] = {"destination": out.pop("output_dest")}
    if "models" in out:
        out["models"] = validate_models(out["models"])
    for key in ("hyperparams", "configuration", "runtime", "container"):
        if key in out and not isinstance(out[key], dict):
            raise errors.validation_error("expected object", field=key)
    if "hyperparams" in out:
        out["hyperparams"] = normalize_hyperparams(out["hyperparams"])
    if "execution" in out:
        execution = validate_execution(out["execution"], version)
        params = execution.pop("parameters", None)
        if params is not None and version < MODERN:
            section, raw = parameters_to_hyperparams(check_parameter_keys(params))
            out["_legacy_args"] = (section, raw)
        had_model = "model" in execution
        model = execution.pop("model", None)
        if had_model and version < MODELS_LEGACY_BELOW:
            out["_legacy_input_model"] = model or ""
        out["execution"] = execution
    return out


def normalize_hyperparams(hyperparams: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for section, params in hyperparams.items():
        if not isinstance(params, dict):
            raise errors.validation_error("expected object", field=f"hyperparams.{section}")
        sec: dict[str, Any] = {}
        for name, item in params.items():
            if not isinstance(item, dict):
                raise errors.validation_error("expected object", field=f"hyperparams.{section}")
            entry = {k: v for k, v in item.items() if v is not None}
            entry["section"] = section
            entry["name"] = name
            if "value" in entry and not isinstance(entry["value"], str):
                entry["value"] = param_text(entry["value"])
            sec[name] = entry
        out[section] = sec
    return out


def apply_legacy(doc: dict[str, Any], fields: dict[str, Any]) -> None:
    """Apply the legacy inputs found by `input_for_version` to a stored document (in place)."""
    legacy_args = fields.pop("_legacy_args", None)
    if legacy_args is not None:
        section, raw = legacy_args
        hyper = dict(doc.get("hyperparams") or {})
        hyper[ARGS_SECTION] = section
        if not section:
            hyper.pop(ARGS_SECTION)
        doc["hyperparams"] = hyper
        doc[RAW_PARAMS] = raw
    if "_legacy_input_model" in fields:
        model = fields.pop("_legacy_input_model")
        models = dict(doc.get("models") or {"input": [], "output": []})
        models["input"] = [{"name": INPUT_MODEL_NAME, "model": model}] if model else []
        doc["models"] = models


# -- new documents ---------------------------------------------------------------------------
def new_document(
    fields: dict[str, Any],
    *,
    task_id: str,
    company: str,
    user: str,
    now: str,
    version: Version,
) -> dict[str, Any]:
    """A stored document for `tasks.create`: server-set fields and defaults (§3)."""
    fields = dict(fields)
    execution = {"test_split": 0, "model_desc": {}, "model_labels": {}, "artifacts": []}
    execution.update(fields.pop("execution", None) or {})
    doc: dict[str, Any] = {
        "id": task_id,
        "company": company,
        "user": user,
        "status": "created",
        "created": now,
        "last_update": now,
        "last_change": now,
        "last_changed_by": user,
        "last_iteration": 0,
        "last_metrics": {},
        "tags": [],
        "system_tags": [],
        "output": {},
        "execution": execution,
        "hyperparams": {},
        "configuration": {},
        "models": {"input": [], "output": []},
        "runtime": {},
        "container": {},
    }
    legacy: dict[str, Any] = {k: fields.pop(k) for k in LEGACY_INPUT_KEYS if k in fields}
    script = fields.pop("script", None)
    if script is not None:
        doc["script"] = {"binary": "python", "requirements": {}, **script}
    elif version >= MODERN:
        doc["script"] = dict(MODERN_SCRIPT_DEFAULT)
    if version >= MODERN:
        doc["script"] = {**MODERN_SCRIPT_DEFAULT, **doc["script"]}
    if "output" in fields:
        doc["output"] = {**doc["output"], **fields.pop("output")}
    if "models" in fields:
        doc["models"] = {"input": [], "output": [], **fields.pop("models")}
    doc.update({k: v for k, v in fields.items() if k not in ("status", "input", "error")})
    apply_legacy(doc, legacy)
    return doc


# -- output ----------------------------------------------------------------------------------
def _legacy_parameters(doc: dict[str, Any]) -> dict[str, Any]:
    section = (doc.get("hyperparams") or {}).get(ARGS_SECTION) or {}
    raw = doc.get(RAW_PARAMS) or {}
    out: dict[str, Any] = {}
    for name, item in section.items():
        value = item.get("value", "") if isinstance(item, dict) else item
        if name in raw and param_text(raw[name]) == value:
            value = raw[name]
        out[name] = value
    return out


# From this version on, `for_version` changes a document only by dropping its private keys.
SHOWN_AS_STORED_FROM = max(MODERN, MODELS_LEGACY_BELOW, TAGS_MERGED_BELOW)


def shown_as_stored(json_text: str, version: Version) -> bool:
    """Whether a client of `version` sees the stored document in `json_text` exactly as it is,
    so that the text can go out without being decoded. A private key's name anywhere in the
    text (even inside a value) says no: that errs only towards the slower path."""
    return version >= SHOWN_AS_STORED_FROM and _PRIVATE_KEY_TEXT.search(json_text) is None


def for_version(doc: dict[str, Any], version: Version) -> dict[str, Any]:
    """The document as a client of `version` sees it (a new dict; `doc` is untouched).

    Works on projected documents too: a derived field appears only when its source is present,
    and nothing is added that the document does not have.
    """
    out = doc.copy()  # then drop the known private keys: a third of the cost of a filtered copy
    for key in PRIVATE_KEYS:
        out.pop(key, None)
    models = out.get("models") if isinstance(out.get("models"), dict) else None
    if version < MODELS_LEGACY_BELOW and models is not None:
        inputs = models.get("input") or []
        outputs = models.get("output") or []
        if inputs and "execution" in out:
            out["execution"] = {**out["execution"], "model": inputs[0].get("model")}
        elif inputs:
            out["execution"] = {"model": inputs[0].get("model")}
        if outputs:
            out["output"] = {**(out.get("output") or {}), "model": outputs[-1].get("model")}
    if version < MODERN:
        if "hyperparams" in out:
            params = _legacy_parameters(doc)
            out["execution"] = {**(out.get("execution") or {}), "parameters": params}
            del out["hyperparams"]
        out.pop("models", None)
        for key in ("configuration", "runtime", "container"):
            if key in out and not out[key]:
                del out[key]
    if version < TAGS_MERGED_BELOW and "tags" in out:
        out["tags"] = sorted(
            set(out["tags"]) | set(out.get("system_tags") or doc.get("system_tags") or [])
        )
    return out
