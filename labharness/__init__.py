"""Helpers shared by the tests and the benchmarks; not part of the shipped ``bilstm_lab`` library.

Each module has one job:

- `paths`: the repository root and ``test-artifacts/`` (logs and screenshots land there).
- `server`: start a ``streamlit run app.py`` on a free localhost port, wait for health, stop it.
- `browser`: the one headless-Chromium (Playwright) launch config, viewports, `wait_for_app`,
  full-page screenshots.
- `memory`: a process's resident memory, once (`rss_kib`) or its peak over time (`PeakMemory`).
- `sessions`: what a simulated student does and must see on the Explorer (spec, expected
  totals, result type, latency statistics), shared by both clients below.
- `browser_sessions`: many simultaneous students as Playwright browser contexts.
- `ws_client`: many simultaneous students speaking Streamlit's websocket protocol (no browser).
"""
