"""The query engine against the real backends: a table of requests → the tasks they return."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from taskyard.domain.query import TASK
from taskyard.errors import ApiError
from taskyard.store import query, search
from taskyard.store import tasks as tasks_store
from taskyard.store.db import Database
from taskyard.store.entities import TASKS
from taskyard.versions import Version

V = Version(2, 23)


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def task(company: str, key: str, name: str, **fields: Any) -> dict[str, Any]:
    lr = fields.pop("lr", None)
    loss = fields.pop("loss", None)
    doc: dict[str, Any] = {
        "id": f"{company[:16]}{key:0>16}",
        "company": company,
        "user": fields.pop("user", "u1"),
        "name": name,
        "type": "training",
        "status": "completed",
        "created": "2024-01-01T00:00:00+00:00",
        "last_update": "2024-01-01T00:00:00+00:00",
        "tags": [],
        "system_tags": [],
        "last_iteration": 0,
    }
    if lr is not None:
        doc["hyperparams"] = {
            "Args": {"lr": {"section": "Args", "name": "lr", "value": lr, "type": "float"}}
        }
    if loss is not None:
        doc["last_metrics"] = {
            md5("loss"): {md5("val"): {"metric": "loss", "variant": "val", "value": loss}}
        }
    doc.update(fields)
    return doc


@pytest.fixture
def loaded(db: Database, account: tuple[str, str, str, str]) -> tuple[Database, str]:
    company = account[0]
    docs = [
        task(
            company,
            "1",
            "resnet mnist baseline",
            project="p1",
            tags=["best"],
            last_iteration=100,
            lr="0.1",
            loss=0.5,
            comment="learning rate sweep",
            last_update="2024-03-01T00:00:00+00:00",
            script={"repository": "https://github.com/acme/vision.git", "entry_point": "x.py"},
        ),
        task(
            company,
            "2",
            "resnet cifar",
            status="failed",
            project="p1",
            system_tags=["archived"],
            last_iteration=10,
            lr="0.01",
            loss=0.3,
            last_update="2024-03-02T00:00:00+00:00",
        ),
        task(
            company,
            "3",
            "bert squad",
            project="p2",
            tags=["best", "nlp"],
            last_iteration=1000,
            lr="1e-3",
            loss=0.9,
            comment="distillation teacher",
            created="2024-02-01T00:00:00+00:00",
            last_update="2024-03-03T00:00:00+00:00",
        ),
        task(
            company,
            "4",
            "bert glue",
            status="in_progress",
            project="p2",
            tags=["nlp"],
            system_tags=["hidden"],
            last_update="2024-03-04T00:00:00+00:00",
        ),
        task(
            company,
            "5",
            "gpt2 wikitext",
            status="created",
            lr="abc",
            parent=f"{company[:16]}{'1':0>16}",
            last_update="2024-03-05T00:00:00+00:00",
        ),
        task(
            company,
            "6",
            "Unet Segmentation",
            status="stopped",
            project="p1",
            user="u2",
            lr="2",
            loss=0.7,
            last_update="2024-03-06T00:00:00+00:00",
        ),
    ]
    with db.write() as tx:
        for doc in docs:
            TASKS.insert(tx, doc)
    return db, company


def names(loaded: tuple[Database, str], version: Version = V, **data: Any) -> list[str]:
    db, company = loaded
    docs, _ = query.get_all(db, TASK, {"only_fields": ["name"], **data}, version, (company, ""))
    return [d["name"] for d in docs]


UNORDERED: list[tuple[dict[str, Any], set[str]]] = [
    (
        {},
        {
            "resnet mnist baseline",
            "resnet cifar",
            "bert squad",
            "gpt2 wikitext",
            "Unet Segmentation",
        },
    ),
    ({"search_hidden": True, "name": "glue"}, {"bert glue"}),
    ({"status": ["completed"]}, {"resnet mnist baseline", "bert squad"}),
    (
        {"project": ["p1"], "system_tags": ["-archived"]},
        {"resnet mnist baseline", "Unet Segmentation"},
    ),
    ({"project": [None]}, {"gpt2 wikitext"}),
    ({"tags": ["__$all", "best", "nlp"]}, {"bert squad"}),
    ({"name": "^resnet"}, {"resnet mnist baseline", "resnet cifar"}),
    ({"name": "unet"}, set()),  # case-sensitive
    (
        {"_any_": {"pattern": "UNET|squad", "fields": ["name", "comment"]}},
        {"bert squad", "Unet Segmentation"},
    ),
    (
        {"_all_": {"pattern": "e", "fields": ["name", "comment"]}},
        {"resnet mnist baseline", "bert squad"},
    ),
    ({"last_iteration": [50, None]}, {"resnet mnist baseline", "bert squad"}),
    ({"last_iteration": [None, 50]}, {"resnet cifar", "gpt2 wikitext", "Unet Segmentation"}),
    ({"created": ["2024-01-15", None]}, {"bert squad"}),
    ({"last_update": [">=2024-03-02", "<2024-03-05"]}, {"resnet cifar", "bert squad"}),
    ({"last_update": ["2024-03-05", None]}, {"gpt2 wikitext", "Unet Segmentation"}),
    ({"last_metrics.loss.val": [0.4, 0.8]}, {"resnet mnist baseline", "Unet Segmentation"}),
    (
        {f"last_metrics.{md5('loss')}.{md5('val')}.value": [None, 0.4]},
        {"resnet cifar", "gpt2 wikitext"},
    ),
    ({"hyperparams.Args.lr": ["0.1", "abc"]}, {"resnet mnist baseline", "gpt2 wikitext"}),
    ({"hyperparams.Args.lr.value": [0.05, 5]}, {"resnet mnist baseline", "Unet Segmentation"}),
    ({"user": ["u2"]}, {"Unet Segmentation"}),
    ({"search_text": "distillation"}, {"bert squad"}),
    ({"search_text": "learn"}, {"resnet mnist baseline"}),  # stemmed
    ({"search_text": "resnet -cifar"}, {"resnet mnist baseline"}),
    ({"search_text": '"cifar resnet"'}, set()),  # a phrase keeps its word order
    ({"search_text": "vision"}, {"resnet mnist baseline"}),  # script.repository
    (
        {"filters": {"tags": {"any": {"include": ["nlp"]}}}, "search_hidden": True},
        {"bert squad", "bert glue"},
    ),
]


@pytest.mark.parametrize(("data", "expected"), UNORDERED)
def test_filters(loaded: tuple[Database, str], data: dict[str, Any], expected: set[str]) -> None:
    assert set(names(loaded, **data)) == expected


def test_id_finds_hidden_tasks(loaded: tuple[Database, str]) -> None:
    _, company = loaded
    assert names(loaded, id=[f"{company[:16]}{'4':0>16}"]) == ["bert glue"]


def test_parent_and_search_by_id(loaded: tuple[Database, str]) -> None:
    _, company = loaded
    parent = f"{company[:16]}{'1':0>16}"
    assert names(loaded, parent=parent) == ["gpt2 wikitext"]
    assert names(loaded, search_text=parent) == ["resnet mnist baseline"]


ORDERED: list[tuple[dict[str, Any], list[str]]] = [
    ({"order_by": ["-last_update"], "page_size": 2}, ["Unet Segmentation", "gpt2 wikitext"]),
    ({"order_by": ["last_update"], "page": 1, "page_size": 2}, ["bert squad", "gpt2 wikitext"]),
    (
        {"order_by": ["-last_metrics.loss.val.value"], "project": ["p1", "p2"]},
        ["bert squad", "Unet Segmentation", "resnet mnist baseline", "resnet cifar"],
    ),
    (
        {"order_by": ["last_metrics.loss.val.value"]},
        [
            "resnet cifar",
            "resnet mnist baseline",
            "Unet Segmentation",
            "bert squad",
            "gpt2 wikitext",
        ],
    ),
    # numeric-aware: 1e-3 < 0.01 < 0.1 < 2, then text, then missing
    (
        {"order_by": ["hyperparams.Args.lr.value"], "search_hidden": True},
        [
            "bert squad",
            "resnet cifar",
            "resnet mnist baseline",
            "Unet Segmentation",
            "gpt2 wikitext",
            "bert glue",
        ],
    ),
    (  # text sorts by code point (upper case first); an empty project comes last
        {"order_by": ["project", "name"]},
        [
            "Unet Segmentation",
            "resnet cifar",
            "resnet mnist baseline",
            "bert squad",
            "gpt2 wikitext",
        ],
    ),
    (
        {"search_text": "cifar resnet", "order_by": ["@text_score"]},
        ["resnet cifar", "resnet mnist baseline"],  # both words rank above one
    ),
]


@pytest.mark.parametrize(("data", "expected"), ORDERED)
def test_ordering(loaded: tuple[Database, str], data: dict[str, Any], expected: list[str]) -> None:
    assert names(loaded, **data) == expected


def test_seed_era_returns_everything_and_conforms_tags(loaded: tuple[Database, str]) -> None:
    seed = Version(2, 1)
    assert len(names(loaded, seed)) == 5
    # <2.3: a reserved name in `tags` filters system_tags
    assert "resnet cifar" not in names(loaded, seed, tags=["-archived"])


def test_catastrophic_regex_is_bounded(db: Database, account: tuple[str, str, str, str]) -> None:
    company = account[0]
    with db.write() as tx:
        TASKS.insert(tx, task(company, "9", "a" * 40 + "!"))
    try:
        docs, _ = query.get_all(db, TASK, {"name": "(a|aa)+$"}, V, (company,))
        assert docs == []  # PostgreSQL's engine does not backtrack
        assert db.dialect.is_postgres
    except ApiError as exc:
        assert (exc.code, exc.subcode) == (400, 21)


def test_index_follows_updates_and_deletes(loaded: tuple[Database, str]) -> None:
    db, company = loaded
    with db.write() as tx:
        found = TASKS.get(tx, [f"{company[:16]}{'3':0>16}"], (company,))
        doc, rev = next(iter(found.values()))
        doc["comment"] = "quantization"
        assert TASKS.save(tx, doc, rev)
        TASKS.delete(tx, [f"{company[:16]}{'1':0>16}"])
    assert names(loaded, search_text="distillation") == []
    assert names(loaded, search_text="quantization") == ["bert squad"]
    assert names(loaded, search_text="sweep") == []
    with db.write() as tx:
        search.rebuild(tx)
    assert names(loaded, search_text="quantization") == ["bert squad"]


def test_metric_order_follows_updates(loaded: tuple[Database, str]) -> None:
    """last_metrics is written by update_fields (events, reset); a whole-document save keeps
    the stored value, whatever the document it is given says."""
    db, company = loaded
    task_id = f"{company[:16]}{'2':0>16}"
    before = names(loaded, order_by=["-last_metrics.loss.val.value"], page_size=2)
    assert before != ["resnet cifar", "bert squad"]
    with db.write() as tx:
        doc, rev = TASKS.get(tx, [task_id], (company,))[task_id]
        metrics = doc["last_metrics"]
        metrics[md5("loss")][md5("val")]["value"] = -1.0
        assert TASKS.save(tx, doc, rev)
    assert names(loaded, order_by=["-last_metrics.loss.val.value"], page_size=2) == before
    metrics[md5("loss")][md5("val")]["value"] = 9.5
    with db.write() as tx:
        assert tasks_store.update_fields(tx, task_id, {"last_metrics": metrics}) is not None
    order = names(loaded, order_by=["-last_metrics.loss.val.value"], page_size=2)
    assert order == ["resnet cifar", "bert squad"]


@pytest.mark.parametrize(
    "fields",
    [
        ["id", "name", "tags", "user"],
        ["status", "last_iteration", "system_tags", "project", "parent", "created"],
    ],
)
def test_column_page_matches_the_general_path(
    loaded: tuple[Database, str], fields: list[str]
) -> None:
    """Top-level column projections skip the document pass; an exclusion of a field not asked
    for forces the general path, which must give the same page."""
    db, company = loaded
    data = {"search_hidden": True, "order_by": ["name"]}

    def page(only_fields: list[str]) -> list[dict[str, Any]]:
        docs, _ = query.get_all(db, TASK, {**data, "only_fields": only_fields}, V, (company, ""))
        return docs

    fast = page(fields)
    assert len(fast) == 6 and all(set(d) <= {*fields, "id"} for d in fast)
    assert fast == page([*fields, "-comment"])
