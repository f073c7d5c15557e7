"""The app's entry script inside the package (`streamlit run` target of `bilstm_lab.ui.launch`).

Home is `bilstm_lab.ui.home.render`; the other pages are the scripts in
`bilstm_lab.ui.page_scripts`. Their labels, icons and URLs are `bilstm_lab.ui.common.PAGES`.
"""

from __future__ import annotations

from bilstm_lab.ui.common import declare_pages
from bilstm_lab.ui.guard import run_page

# st.navigation (Home first) + the app's one st.set_page_config; the page runs behind the
# guard that turns a widget value no browser would send into a reset (issue 15).
run_page(declare_pages())
