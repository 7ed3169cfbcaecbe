"""Logging in and out of the web UI."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.support import ApiClient
from tests.web import seed
from tests.web.conftest import ACCESS_KEY, login, shot, unique


def test_a_visitor_without_a_session_is_sent_to_the_login_page(page: Any) -> None:
    page.goto("/projects/*")
    expect(page.locator("#login-form")).to_be_visible()
    assert "/login?next=" in page.url
    shot(page, "login_form")


def test_a_wrong_secret_is_refused_with_a_readable_message(page: Any) -> None:
    page.goto("/login")
    page.fill("#access-key", ACCESS_KEY)
    page.fill("#secret-key", "not-the-secret")
    page.click("#login-form button[type=submit]")
    expect(page.locator(".form-error")).to_contain_text(re.compile("unauthorized|invalid", re.I))
    assert page.url.endswith("/login")
    shot(page, "login_refused")


def test_login_shows_the_projects_and_logout_ends_the_session(page: Any, api: ApiClient) -> None:
    name = unique("login-project")
    seed.project(api, name)
    login(page)
    expect(page.locator("#projects-table")).to_contain_text(name)
    shot(page, "projects")

    page.click("#logout")
    expect(page.locator("#login-form")).to_be_visible()
    page.goto("/")
    expect(page.locator("#login-form")).to_be_visible()


def test_login_returns_to_the_page_asked_for(page: Any, api: ApiClient) -> None:
    pid = seed.project(api, unique("next"))
    page.goto(f"/projects/{pid}")
    expect(page.locator("#login-form")).to_be_visible()
    page.fill("#access-key", ACCESS_KEY)
    from tests.web.conftest import SECRET_KEY

    page.fill("#secret-key", SECRET_KEY)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#tasks-table")).to_be_visible()
    assert page.url.endswith(f"/projects/{pid}")
