"""The terminal front end: `bilstm-lab` / `python -m bilstm_lab`."""
