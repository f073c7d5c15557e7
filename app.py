"""BiLSTM Lab (`streamlit run app.py`): the router. Declares the pages and runs the current one.

Home is `bilstm_lab.ui.home.render`; the other pages are the scripts in `bilstm_lab.ui.pages`.
Their labels, icons and URLs are `bilstm_lab.ui.common.PAGES` (the one place to change them).
"""

from __future__ import annotations

from bilstm_lab.ui.common import declare_pages

current = declare_pages()  # st.navigation (Home first) + the app's one st.set_page_config
current.run()
