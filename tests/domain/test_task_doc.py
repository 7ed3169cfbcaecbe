"""Task documents per version (SEMANTICS §1.8, §3) and the input adapters."""

from __future__ import annotations

import orjson
import pytest

from taskyard.domain import task_doc
from taskyard.errors import ApiError
from taskyard.versions import Version

V21, V29, V212, V223 = Version(2, 1), Version(2, 9), Version(2, 12), Version(2, 23)


def _doc(version: Version, **fields: object) -> dict[str, object]:
    stored = task_doc.input_for_version(dict(fields), version)
    return task_doc.new_document(
        stored,
        task_id="t" * 32,
        company="c",
        user="u",
        now="2024-01-01T00:00:00+00:00",
        version=version,
    )


def test_projected_documents_get_nothing_added() -> None:
    assert task_doc.for_version({"id": "x", "status": "created"}, V21) == {
        "id": "x",
        "status": "created",
    }
    assert task_doc.for_version({"status_message": "stopping"}, V223) == {
        "status_message": "stopping"
    }


def test_private_keys_are_never_shown() -> None:
    doc = _doc(V21, name="abc", type="training", execution={"parameters": {"a": 1}})
    assert task_doc.RAW_PARAMS in doc
    for version in (V21, V29, V223):
        assert not any(k.startswith("_") for k in task_doc.for_version(doc, version))


@pytest.mark.parametrize(
    ("version", "fields", "as_stored"),
    [
        (V223, {}, True),
        (Version(2, 13), {}, True),
        (V212, {}, False),  # execution.model / output.model are derived below 2.13
        (V29, {}, False),
        (V21, {}, False),
        (V223, {task_doc.RAW_PARAMS: {"Args": {}}}, False),
        (V223, {"_legacy_input_model": "m"}, False),
        # the name as a whole string elsewhere: the slow path, which gives the same answer
        (V223, {"comment": "_params_raw"}, False),
        (V223, {"configuration": {"_params_raw": {}}}, False),
        (V223, {"comment": "see _params_raw"}, True),
    ],
)
def test_which_stored_documents_go_out_as_they_are(
    version: Version, fields: dict[str, object], as_stored: bool
) -> None:
    doc = {**_doc(V223, name="abc", type="training"), **fields}
    text = orjson.dumps(doc).decode()
    assert task_doc.shown_as_stored(text, version) is as_stored
    if as_stored:
        assert task_doc.for_version(doc, version) == doc


def test_legacy_fields_per_version() -> None:
    doc = _doc(V21, name="abc", type="training", execution={"model": "m", "parameters": {"a": 1}})
    doc["models"]["output"] = [{"name": "o", "model": "m2"}]  # type: ignore[index]
    old = task_doc.for_version(doc, V21)
    assert old["execution"]["parameters"] == {"a": 1}  # type: ignore[index]
    assert old["execution"]["model"] == "m" and old["output"]["model"] == "m2"  # type: ignore[index]
    assert "hyperparams" not in old and "models" not in old
    mid = task_doc.for_version(doc, V212)
    assert mid["execution"]["model"] == "m" and "parameters" not in mid["execution"]  # type: ignore[index]
    new = task_doc.for_version(doc, V223)
    assert "model" not in new["execution"] and "model" not in new["output"]  # type: ignore[operator]


def test_reserved_tag_names() -> None:
    assert all(
        task_doc.is_reserved_tag(t)
        for t in ("archived", "-development", "Active", "annotation", "ANNOTATOR")
    )
    assert not task_doc.is_reserved_tag("mine")


def test_unsupported_tag_prefix() -> None:
    with pytest.raises(ApiError) as exc:
        task_doc.clean_tags(["__$not"])
    assert (exc.value.code, exc.value.subcode) == (400, 16)
