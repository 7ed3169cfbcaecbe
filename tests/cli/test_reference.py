"""docs/cli.md is generated from the CLI and cannot drift from it."""

from pathlib import Path

from taskyard.cli.reference import render

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_cli_reference_is_up_to_date() -> None:
    assert DOC.read_text() == render(), "regenerate: python -m taskyard.cli.reference > docs/cli.md"


def test_every_command_is_documented() -> None:
    text = DOC.read_text()
    for command in [
        "serve",
        "credentials create",
        "credentials revoke",
        "users create",
        "db upgrade",
    ]:
        assert f"## `taskyard {command}`" in text
