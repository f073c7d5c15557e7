"""The README's set-up commands are the ones CI runs, and the pinned requirements are installed."""

from __future__ import annotations

import re
from importlib.metadata import version

from tests.conftest import ROOT


def _readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    setup = readme.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", setup)


def test_readme_opens_with_two_setup_commands() -> None:
    commands = _readme_commands()
    assert len(commands) == 2
    run_app, run_tests = commands
    assert (
        run_app.startswith("pip install -r requirements.txt")
        and "python -m bilstm_lab app" in run_app
    )
    assert run_tests.startswith("pip install -r requirements-dev.txt") and "pytest" in run_tests


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert _readme_commands()[1] in ci_lines


def test_requirements_are_pinned_and_installed() -> None:
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, _, pinned = line.partition("==")
        assert pinned, f"{line} is not pinned"
        assert version(name) == pinned, f"{name} {version(name)} installed, {pinned} pinned"
