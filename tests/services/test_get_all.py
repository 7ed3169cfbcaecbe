"""tasks.get_all / get_all_ex, projects.get_all and models.get_all over HTTP (§5.2)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from taskyard.store.db import Database
from taskyard.store.entities import MODELS, PROJECTS, TASKS
from tests.support import ApiClient

Account = tuple[str, str, str, str]


def add_task(db: Database, account: Account, name: str, **fields: Any) -> str:
    company, user = account[0], account[1]
    doc: dict[str, Any] = {
        "id": uuid.uuid4().hex,
        "company": company,
        "user": user,
        "name": name,
        "type": "training",
        "status": "created",
        "created": "2024-01-01T00:00:00+00:00",
        "last_update": "2024-01-01T00:00:00+00:00",
        "tags": [],
        "system_tags": [],
        "last_iteration": 0,
        **fields,
    }
    with db.write() as tx:
        TASKS.insert(tx, doc)
    return str(doc["id"])


def add_project(db: Database, account: Account, name: str, **fields: Any) -> str:
    doc: dict[str, Any] = {
        "id": uuid.uuid4().hex,
        "company": account[0],
        "user": account[1],
        "name": name,
        "created": "2024-01-01T00:00:00+00:00",
        "tags": [],
        "system_tags": [],
        **fields,
    }
    with db.write() as tx:
        PROJECTS.insert(tx, doc)
    return str(doc["id"])


def test_sdk_status_poll(client: ApiClient, db: Database, account: Account) -> None:
    task = add_task(db, account, "polled", status="in_progress", status_message="running")
    add_task(db, account, "other")
    data = client.ok(
        "tasks.get_all",
        id=[task],
        only_fields=["status", "status_message", "id"],
        search_hidden=False,
    )
    assert data == {"tasks": [{"id": task, "status": "in_progress", "status_message": "running"}]}


def test_sdk_lookup_by_exact_name(client: ApiClient, db: Database, account: Account) -> None:
    project = add_project(db, account, "a.b (x)/sub+1")
    task = add_task(db, account, "n[1]", project=project, system_tags=["development"])
    add_task(db, account, "n[1] copy", project=project)
    projects = client.ok(
        "projects.get_all",
        name="^a\\.b\\ \\(x\\)/sub\\+1$",
        only_fields=["id"],
        shallow_search=False,
        search_hidden=True,
    )["projects"]
    assert projects == [{"id": project}]
    tasks = client.ok(
        "tasks.get_all",
        name="^n\\[1\\]$",
        project=[project],
        only_fields=["id", "name", "last_update", "system_tags"],
        search_hidden=False,
    )["tasks"]
    assert [t["id"] for t in tasks] == [task]
    assert tasks[0]["system_tags"] == ["development"]


def test_list_page_of_a_project(client: ApiClient, db: Database, account: Account) -> None:
    project = add_project(db, account, "listing")
    for i in range(5):
        add_task(
            db,
            account,
            f"run {i}",
            project=project,
            status="completed" if i % 2 == 0 else "failed",
            tags=["best"] if i < 4 else [],
            system_tags=["archived"] if i == 0 else [],
            last_update=f"2024-01-0{i + 1}T00:00:00+00:00",
        )
    tasks = client.ok(
        "tasks.get_all",
        project=[project],
        status=["completed"],
        tags=["best"],
        system_tags=["-archived"],
        order_by=["-last_update"],
        page=0,
        page_size=50,
        only_fields=["name", "status", "last_update"],
    )["tasks"]
    assert [t["name"] for t in tasks] == ["run 2"]
    assert set(tasks[0]) == {"id", "name", "status", "last_update"}


def test_paging_by_version(client: ApiClient, db: Database, account: Account) -> None:
    for i in range(3):
        add_task(db, account, f"page {i}")
    assert len(client.at("2.1").ok("tasks.get_all")["tasks"]) == 3
    reply = client.at("2.1").call("tasks.get_all", page=0)
    assert reply.code == (400, 11)
    assert reply.msg == (
        "Missing required fields (page_size is required when page is requested): field=page_size"
    )
    first = client.ok("tasks.get_all", page_size=2, order_by=["name"])["tasks"]
    second = client.ok("tasks.get_all", page=1, page_size=2, order_by=["name"])["tasks"]
    assert [t["name"] for t in first + second] == ["page 0", "page 1", "page 2"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": "(unclosed"}, (400, 21)),
        ({"order_by": ["bogus"]}, (400, 14)),
        ({"only_fields": ["bogus.x"]}, (400, 14)),
        ({"order_by": ["@text_score"]}, (400, 16)),
        ({"page": "x", "page_size": 5}, (400, 12)),
        ({"last_iteration": [1]}, (400, 12)),
        ({"_any_": {"pattern": "x"}}, (400, 12)),
        ({"status": [5]}, (400, 16)),
    ],
)
def test_errors(client: ApiClient, body: dict[str, Any], code: tuple[int, int]) -> None:
    assert client.call("tasks.get_all", **body).code == code


def test_catastrophic_regex_does_not_hang(
    client: ApiClient, db: Database, account: Account, backend: str
) -> None:
    add_task(db, account, "a" * 40 + "!")
    reply = client.call("tasks.get_all", name="(a|aa)+$")
    if backend == "sqlite":
        assert reply.code == (400, 21)
    else:  # PostgreSQL's regex engine does not backtrack
        assert reply.code == (200, 0)
    assert client.ok("tasks.get_all", name="^a")["tasks"]


def test_hidden_and_tag_conformance(client: ApiClient, db: Database, account: Account) -> None:
    hidden = add_task(db, account, "hidden one", system_tags=["hidden"])
    archived = add_task(db, account, "archived one", system_tags=["archived"])
    assert [t["id"] for t in client.ok("tasks.get_all")["tasks"]] == [archived]
    assert len(client.ok("tasks.get_all", search_hidden=True)["tasks"]) == 2
    assert [t["id"] for t in client.ok("tasks.get_all", id=[hidden])["tasks"]] == [hidden]
    # below 2.3 a reserved name in `tags` is a system tag filter
    assert client.at("2.2").ok("tasks.get_all", tags=["-archived"])["tasks"] == []


def test_get_all_ex_joins(client: ApiClient, db: Database, account: Account) -> None:
    project = add_project(db, account, "joined")
    parent = add_task(db, account, "the parent", project=project)
    child = add_task(db, account, "the child", project=project, parent=parent)
    with db.read() as tx:
        user_name = tx.query_one("SELECT name FROM users WHERE id = ?", (account[1],))
    tasks = client.ok(
        "tasks.get_all_ex",
        id=[child],
        only_fields=["name", "project.name", "user.name", "parent.name"],
    )["tasks"]
    assert tasks == [
        {
            "id": child,
            "name": "the child",
            "project": {"id": project, "name": "joined"},
            "user": {"id": account[1], "name": user_name[0] if user_name else None},
            "parent": {"id": parent, "name": "the parent"},
        }
    ]
    reply = client.call("tasks.get_all_ex", only_fields=["bogus"])
    assert reply.code == (400, 14)
    assert reply.msg == "Fields not defined for object: fields=(bogus), object=Task"


def test_search_text_and_score(client: ApiClient, db: Database, account: Account) -> None:
    add_task(db, account, "resnet cifar", comment="baseline")
    add_task(db, account, "resnet mnist")
    add_task(db, account, "bert squad")
    tasks = client.ok(
        "tasks.get_all", search_text="cifar resnet", order_by=["@text_score"], only_fields=["name"]
    )["tasks"]
    assert [t["name"] for t in tasks] == ["resnet cifar", "resnet mnist"]
    tasks = client.ok("tasks.get_all", search_text="resnet -baseline", only_fields=["name"])
    assert [t["name"] for t in tasks["tasks"]] == ["resnet mnist"]


def test_search_follows_edits_of_indexed_texts(client: ApiClient) -> None:
    """The index is updated when an indexed document text changes, and only then."""
    task = client.ok("tasks.create", name="plain run", type="training")["id"]

    def found(text: str) -> bool:
        reply = client.ok("tasks.get_all", search_text=text, only_fields=["id"])
        return task in [t["id"] for t in reply["tasks"]]

    client.ok("tasks.edit", task=task, script={"repository": "https://git.example/zebra.git"})
    assert found("zebra")
    client.ok("tasks.edit", task=task, script={"entry_point": "giraffe.py"})
    assert found("giraffe") and found("zebra")
    client.ok("tasks.edit", task=task, script={"repository": "https://git.example/okapi.git"})
    assert found("okapi") and not found("zebra")
    client.ok("tasks.started", task=task)  # rewrites the document, no indexed text changes
    client.ok("tasks.completed", task=task)
    assert found("okapi") and found("giraffe") and found("plain")


def test_companies_are_isolated(
    client: ApiClient, other_client: ApiClient, db: Database, account: Account
) -> None:
    task = add_task(db, account, "private")
    assert other_client.ok("tasks.get_all", id=[task])["tasks"] == []
    assert other_client.ok("tasks.get_all", search_text="private")["tasks"] == []


def test_projects_shallow_search_and_hidden(
    client: ApiClient, db: Database, account: Account
) -> None:
    top = add_project(db, account, "top")
    sub = add_project(db, account, "top/sub", parent=top)
    add_project(db, account, "secret", system_tags=["hidden"])
    ids = {p["id"] for p in client.ok("projects.get_all", only_fields=["id"])["projects"]}
    assert ids == {top, sub}
    shallow = client.ok("projects.get_all", shallow_search=True, only_fields=["id"])["projects"]
    assert [p["id"] for p in shallow] == [top]
    children = client.ok("projects.get_all", parent=[top], only_fields=["name"])["projects"]
    assert children == [{"id": sub, "name": "top/sub"}]
    assert len(client.ok("projects.get_all", search_hidden=True)["projects"]) == 3


def test_models_get_all(client: ApiClient, db: Database, account: Account) -> None:
    task = add_task(db, account, "trainer")
    with db.write() as tx:
        for i, ready in enumerate([True, False]):
            MODELS.insert(
                tx,
                {
                    "id": f"{task[:30]}m{i}",
                    "company": account[0],
                    "user": account[1],
                    "name": f"model {i}",
                    "task": task,
                    "ready": ready,
                    "uri": f"file:///models/{i}.pt",
                    "tags": [],
                    "system_tags": [],
                    "created": "2024-01-01T00:00:00+00:00",
                },
            )
    models = client.ok("models.get_all", task=[task], only_fields=["id", "uri"])["models"]
    assert sorted(m["uri"] for m in models) == ["file:///models/0.pt", "file:///models/1.pt"]
    ready = client.ok("models.get_all", task=[task], ready=True, only_fields=["name"])["models"]
    assert [m["name"] for m in ready] == ["model 0"]
    named = client.ok("models.get_all", name="1$", only_fields=["name"])["models"]
    assert [m["name"] for m in named] == ["model 1"]
