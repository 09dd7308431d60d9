"""`python -m ui.serve [streamlit run options]`: start the dashboard (`streamlit run app.py`) with
Streamlit's legacy "pages/ folder" mode switched off before the first session.

Why: Streamlit treats a folder named `pages/` beside the main script as a multipage app of its own until
the first `st.navigation` call in the process. The first visitor after a start then saw a navigation of
file names ("app, dao tao, nop bao cao …") and, on a deep link such as /dao-tao, Streamlit's "Page not
found" dialog (issue 11). The pages are declared by `st.navigation` in app.py alone, so the legacy mode is
never wanted; Streamlit keeps the switch on a class attribute read when a session starts.
"""
from __future__ import annotations

import sys
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app.py"


def main(argv: list[str] | None = None) -> None:
    """Switch off the legacy pages-folder mode, then run Streamlit's own `run` command on app.py."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    PagesManager.uses_pages_directory = False  # st.navigation (app.py) declares every page
    cli.main(["run", str(APP), *(sys.argv[1:] if argv is None else argv)], prog_name="streamlit")


if __name__ == "__main__":
    main()
