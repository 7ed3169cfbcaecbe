"""The README's set-up commands and transcript match what the project really does."""

from __future__ import annotations

import re
from pathlib import Path

from tests.cli.test_serve import Served

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _normalised(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        line = re.sub(r"http://127\.0\.0\.1:\d+", "http://127.0.0.1:PORT", line)
        line = re.sub(r"sqlite:///\S+\)", "sqlite:///DATA)", line)
        line = re.sub(r"(access key: |ACCESS_KEY=)\S+", r"\1KEY", line)
        line = re.sub(r"(secret key: |SECRET_KEY=)\S+", r"\1SECRET", line)
        out.append(line.rstrip())
    return out


def _server_lines(text: str) -> list[str]:
    """From the 'taskyard serving' line to the 'Web UI' line."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("taskyard serving"))
    end = next(i for i, line in enumerate(lines) if line.startswith("Web UI:"))
    return lines[start : end + 1]


def test_serve_transcript_is_what_a_first_start_prints(tmp_path: Path) -> None:
    block = README.split("<!-- SERVE_TRANSCRIPT -->", 1)[1].split("```console", 1)[1]
    block = block.split("```", 1)[0]
    server = Served(tmp_path / "data", {})
    printed = server.stop()
    assert _normalised(_server_lines(block)) == _normalised(_server_lines(printed))


def test_ci_runs_the_readme_test_command() -> None:
    commands = README.split("## Two commands", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    test_command = next(line.split()[0] for line in commands.splitlines() if "test" in line)
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert ci[-1] == f"exec {test_command}"
