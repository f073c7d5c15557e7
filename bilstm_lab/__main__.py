"""``python -m bilstm_lab``: the terminal front end (see `bilstm_lab.cli.main`)."""

from __future__ import annotations

import sys

from bilstm_lab.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
