"""The page scripts `st.navigation` runs (see `bilstm_lab.ui.common.PAGES`).

They live inside the package, not in a ``pages/`` folder beside ``app.py``: such a folder puts a
fresh Streamlit server in its legacy folder-routing mode until the first run of ``app.py``.
"""
