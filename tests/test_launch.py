"""`bilstm_lab.ui.launch`: the app starts with the lab's production settings, from anywhere.

Streamlit reads ``.streamlit/config.toml`` only from the current directory, so the launcher
passes every setting of `SETTINGS_FILE` as a flag; here Streamlit's own ``run`` command parses
the command line the launcher builds (no server is started: the pool and Streamlit's ``main``
are replaced by recorders).
"""

from __future__ import annotations

import sys
import tomllib
from typing import Any

import pytest
from streamlit.web import cli as streamlit_cli

from bilstm_lab.ui import launch
from tests.conftest import ROOT


def _settings() -> dict[str, Any]:
    with launch.SETTINGS_FILE.open("rb") as file:
        sections = tomllib.load(file)
    return {
        f"{section}_{key}": value
        for section, options in sections.items()
        for key, value in options.items()
    }


def _launch(monkeypatch: pytest.MonkeyPatch, *flags: str) -> dict[str, Any]:
    """Run the launcher with ``flags``; return what Streamlit's ``run`` parsed from its argv."""
    parsed: dict[str, Any] = {}

    def streamlit_main() -> None:
        assert sys.argv[:3] == ["streamlit", "run", str(launch.APP_SCRIPT)]
        context = streamlit_cli.main_run.make_context("run", sys.argv[2:])
        parsed.update({key.replace(".", "_"): value for key, value in context.params.items()})

    import bilstm_lab.ui.pool as pool

    monkeypatch.setattr(pool, "worker_pool", lambda: None)
    monkeypatch.setattr(streamlit_cli, "main", streamlit_main)
    monkeypatch.setattr(sys, "argv", list(sys.argv))  # the launcher rewrites it
    assert launch.main(list(flags)) == 0
    return parsed


def test_every_setting_reaches_streamlit_as_a_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = _launch(monkeypatch)
    settings = _settings()
    assert settings  # headless, upload size, XSRF, file watcher, error details, …
    assert {key: parsed[key] for key in settings} == settings


def test_flags_after_app_override_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = _launch(monkeypatch, "--server.headless", "false", "--server.port", "8765")
    assert parsed["server_headless"] is False
    assert parsed["server_port"] == 8765
    assert parsed["server_fileWatcherType"] == "none"


def test_the_checkout_config_is_the_packaged_settings() -> None:
    # A bare `streamlit run app.py` in the checkout reads .streamlit/config.toml: the same file.
    config = ROOT / ".streamlit" / "config.toml"
    assert config.resolve() == launch.SETTINGS_FILE.resolve()


def test_app_entry_and_page_scripts_are_in_the_package() -> None:
    from bilstm_lab.ui.common import PAGES, page_script

    assert launch.APP_SCRIPT.is_file() and launch.APP_SCRIPT.parent == launch.SETTINGS_FILE.parent
    assert all(page_script(page).is_file() for page in PAGES)
