"""The page scripts `st.navigation` runs (see `bilstm_lab.ui.common.PAGES`).

They live inside the package, and not in a folder named ``pages/`` beside an entry script
(``app.py``, `bilstm_lab.ui.app`): such a folder puts a fresh Streamlit server in its legacy
folder-routing mode until the entry script first runs.
"""
