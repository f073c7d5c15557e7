"""``python -m bilstm_lab app``: start the worker pool, then the Streamlit server, in one process.

Streamlit has no server-start hook, so under a bare ``streamlit run`` the pool would start on
the first page view and the first Train would wait for TensorFlow to import. Here the pool is
created first (`bilstm_lab.ui.pool.worker_pool`, the same cached object the pages use), its
workers warm up while the server starts, and Streamlit's own command line then runs the app
with the lab's production settings (`SETTINGS_FILE`) as flags: Streamlit reads a
``.streamlit/config.toml`` only from the current directory, and an installed copy runs from any.
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bilstm_lab.core.model_info import MAX_UPLOAD_MB

#: The entry script Streamlit runs (inside the package, so an installed copy finds it): the
#: `st.App` around the pages' router ``app.py``, for its error handler (`bilstm_lab.ui.guard`).
APP_SCRIPT = Path(__file__).resolve().parent / "asgi_app.py"
#: The lab's production settings for Streamlit, in config.toml syntax (the one place they live).
SETTINGS_FILE = Path(__file__).resolve().parent / "streamlit_config.toml"


def _flag_value(value: Any) -> str:
    # Streamlit's flags parse TOML's booleans as the words "true"/"false".
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def settings_flags(path: Path = SETTINGS_FILE) -> list[str]:
    """The settings in ``path`` as Streamlit flags, e.g. ``["--server.headless", "true", ...]``."""
    with path.open("rb") as file:
        sections: dict[str, dict[str, Any]] = tomllib.load(file)
    return [
        part
        for section, options in sections.items()
        for key, value in options.items()
        for part in (f"--{section}.{key}", _flag_value(value))
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Start the pool, then ``streamlit run`` the app with the lab's settings and ``argv``.

    ``argv`` (Streamlit's own flags) comes after the settings' flags, and the last of two
    equal flags wins: ``bilstm-lab app --server.headless false`` overrides the setting.

    Returns:
        Streamlit's exit code.
    """
    from streamlit.web import cli as streamlit_cli

    from bilstm_lab.ui.pool import worker_pool

    worker_pool()  # workers import TensorFlow and warm up while the server starts
    flags = list(sys.argv[1:] if argv is None else argv)
    # The lab's upload limit (BILSTM_LAB_MAX_UPLOAD_MB, or its default) after the settings file,
    # so Streamlit's own limit always matches it; a flag given after ``app`` still wins.
    upload = ["--server.maxUploadSize", str(MAX_UPLOAD_MB)]
    sys.argv = ["streamlit", "run", str(APP_SCRIPT), *settings_flags(), *upload, *flags]
    try:
        streamlit_cli.main()
    except SystemExit as end:  # click ends every command this way
        return end.code if isinstance(end.code, int) else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
