"""Ordering, paging, projection and search-text parsing, as tables of cases."""

from __future__ import annotations

from typing import Any

import pytest

from taskyard.domain.query import TASK
from taskyard.domain.query.order import compile_order
from taskyard.domain.query.paging import Page, page_window
from taskyard.domain.query.projection import apply, parse_projection
from taskyard.domain.query.sql import POSTGRES_SQL, SQLITE_SQL
from taskyard.domain.query.text import parse
from taskyard.errors import ApiError


@pytest.mark.parametrize(
    ("order_by", "lite", "pg"),
    [
        (
            ["-last_update"],
            ["tasks.last_update DESC", "tasks.id DESC"],  # ties as the key: index order
            ["tasks.last_update DESC NULLS LAST", "tasks.id DESC"],
        ),
        (
            ["name"],
            [
                "CASE WHEN tasks.name IS NULL OR tasks.name = '' THEN 1 ELSE 0 END",
                "tasks.name ASC",
                "tasks.id",
            ],
            [
                "CASE WHEN tasks.name IS NULL OR tasks.name = '' THEN 1 ELSE 0 END",
                'tasks.name COLLATE "C" ASC',  # code point order, as SQLite
                "tasks.id",
            ],
        ),
        (
            ["-status", "name"],
            ["tasks.status DESC", "tasks.name IS NULL, tasks.name", "tasks.id"],  # the last key's
            [
                'tasks.status COLLATE "C" DESC NULLS LAST',
                'tasks.name COLLATE "C" ASC NULLS LAST',
                "tasks.id",
            ],
        ),
        (["status", "-id"], None, None),
    ],
)
def test_order_items(order_by: list[str], lite: list[str] | None, pg: list[str] | None) -> None:
    for sql, expected in ((SQLITE_SQL, lite), (POSTGRES_SQL, pg)):
        items = list(compile_order(TASK, order_by, sql, True, False).items)
        if expected is not None:
            assert items == expected
        else:  # an explicit id is not added twice
            assert items[-1] == sql.order(sql.binary("tasks.id"), True)


def test_hyperparameters_order_numbers_first() -> None:
    items = compile_order(TASK, ["hyperparams.Args.lr"], SQLITE_SQL, True, False).items
    assert items[0].startswith("to_number(json_extract(tasks.doc, '$.hyperparams.Args.lr.value'))")


def test_legacy_parameter_names_below_2_9() -> None:
    items = compile_order(TASK, ["execution.parameters.lr"], SQLITE_SQL, False, False).items
    assert "$.hyperparams.Args.lr.value" in items[0]


@pytest.mark.parametrize(
    ("order_by", "search", "code"),
    [(["@text_score"], False, (400, 16)), (["bogus"], False, (400, 14))],
)
def test_order_errors(order_by: list[str], search: bool, code: tuple[int, int]) -> None:
    with pytest.raises(ApiError) as err:
        compile_order(TASK, order_by, SQLITE_SQL, True, search)
    assert (err.value.code, err.value.subcode) == code


@pytest.mark.parametrize(
    ("data", "modern", "page"),
    [
        ({}, False, Page(None, 0)),
        ({"page_size": 10}, False, Page(None, 0)),
        ({"page": 2, "page_size": 10}, False, Page(10, 20)),
        ({"page": 1, "page_size": 5000}, False, Page(5000, 5000)),
        ({}, True, Page(500, 0)),
        ({"page": 3}, True, Page(500, 1500)),
        ({"page": 1, "page_size": 20}, True, Page(20, 20)),
        ({"page_size": 5000}, True, Page(500, 0)),
    ],
)
def test_paging(data: dict[str, Any], modern: bool, page: Page) -> None:
    assert page_window(data, modern) == page


@pytest.mark.parametrize(
    ("data", "modern", "code", "msg"),
    [
        (
            {"page": 0},
            False,
            (400, 11),
            "Missing required fields (page_size is required when page is requested):"
            " field=page_size",
        ),
        (
            {"page": -1, "page_size": 5},
            False,
            (400, 12),
            "Validation error (page must be >=0): field=page",
        ),
        (
            {"page": 0, "page_size": -1},
            True,
            (400, 12),
            "Validation error (page_size must be >0): field=page_size",
        ),
    ],
)
def test_paging_errors(data: dict[str, Any], modern: bool, code: tuple[int, int], msg: str) -> None:
    with pytest.raises(ApiError) as err:
        page_window(data, modern)
    assert (err.value.code, err.value.subcode) == code
    assert err.value.message == msg


DOC = {
    "id": "t1",
    "name": "n",
    "project": "p1",
    "execution": {"queue": "q", "artifacts": [{"key": "a", "uri": "u"}, {"key": "b"}]},
    "hyperparams": {"Args": {"lr": {"value": "0.1", "type": "float"}}},
    "unique_metrics": ["x"],
}


@pytest.mark.parametrize(
    ("fields", "add_id", "expected"),
    [
        (["name"], False, {"name": "n"}),
        (["name"], True, {"name": "n", "id": "t1"}),
        (["hyperparams.Args.lr.value"], False, {"hyperparams": {"Args": {"lr": {"value": "0.1"}}}}),
        (
            ["execution.artifacts.key"],
            False,
            {"execution": {"artifacts": [{"key": "a"}, {"key": "b"}]}},
        ),
        (["-execution", "-hyperparams"], True, {"id": "t1", "name": "n", "project": "p1"}),
        (
            ["*", "-execution.artifacts"],
            False,
            {
                "id": "t1",
                "name": "n",
                "project": "p1",
                "execution": {"queue": "q"},
                "hyperparams": {"Args": {"lr": {"value": "0.1", "type": "float"}}},
            },
        ),
        (["unique_metrics"], False, {"unique_metrics": ["x"]}),
        (["comment"], False, {}),
    ],
)
def test_projection(fields: list[str], add_id: bool, expected: dict[str, Any]) -> None:
    projection = parse_projection(TASK, fields, add_id=add_id, joins=False)
    assert apply(TASK, projection, DOC) == expected


def test_projection_splits_joins() -> None:
    projection = parse_projection(TASK, ["project.name", "user.name"], add_id=True, joins=True)
    assert projection.joins == {"project": ("name",), "user": ("name",)}
    assert ("project",) in projection.includes


def test_projection_of_unknown_field_is_400_14() -> None:
    with pytest.raises(ApiError) as err:
        parse_projection(TASK, ["bogus"], add_id=True, joins=True)
    assert err.value.message == "Fields not defined for object: fields=(bogus), object=Task"


@pytest.mark.parametrize(
    ("text", "terms", "negated"),
    [
        ("mnist resnet", [("mnist",), ("resnet",)], []),
        ('"learning rate" -sweep', [("learning", "rate")], [("sweep",)]),
        ('-"a b" c', [("c",)], [("a", "b")]),
        ("  ", [], []),
    ],
)
def test_search_text(
    text: str, terms: list[tuple[str, ...]], negated: list[tuple[str, ...]]
) -> None:
    query = parse(text)
    assert list(query.terms) == terms
    assert list(query.negated) == negated
