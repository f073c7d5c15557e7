"""``python -m bilstm_lab app``: start the worker pool, then the Streamlit server, in one process.

Streamlit has no server-start hook, so under a bare ``streamlit run`` the pool would start on
the first page view and the first Train would wait for TensorFlow to import. Here the pool is
created first (`bilstm_lab.ui.pool.worker_pool`, the same cached object the pages use), its
workers warm up while the server starts, and Streamlit's own command line then runs the app.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

#: The entry script Streamlit runs (inside the package, so an installed copy finds it).
APP_SCRIPT = Path(__file__).resolve().parent / "app.py"


def main(argv: Sequence[str] | None = None) -> int:
    """Start the pool, then ``streamlit run`` the app with ``argv`` (Streamlit's own flags).

    Returns:
        Streamlit's exit code.
    """
    from streamlit.web import cli as streamlit_cli

    from bilstm_lab.ui.pool import worker_pool

    worker_pool()  # workers import TensorFlow and warm up while the server starts
    flags = list(sys.argv[1:] if argv is None else argv)
    sys.argv = ["streamlit", "run", str(APP_SCRIPT), *flags]
    try:
        streamlit_cli.main()
    except SystemExit as end:  # click ends every command this way
        return end.code if isinstance(end.code, int) else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
