"""BiLSTM Lab (`streamlit run app.py`): the router. Declares the pages and runs the current one.

The same lines as `bilstm_lab.ui.app`, the entry that `python -m bilstm_lab app` (and an
installed copy) runs. Labels, icons and URLs are `bilstm_lab.ui.common.PAGES`.
"""

from __future__ import annotations

from bilstm_lab.ui.common import declare_pages
from bilstm_lab.ui.guard import run_page

run_page(declare_pages())  # st.navigation (Home first) + the app's one st.set_page_config
