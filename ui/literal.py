"""The one escaping helper: text that came from users (unit and cell names, file names, messages quoting
them) shown exactly as typed wherever the interface would otherwise interpret it.

Two renderers interpret text: Streamlit's Markdown (st.markdown, st.caption, st.subheader, alerts, st.table
cells, expander, metric and widget labels, help texts, progress texts) and Plotly (titles, axis labels,
legend names, hover and cell texts accept a subset of HTML: <a href>, <b>, <br>, <span style> ...). A unit
named `![x](http://evil/a.png)` or `<a href="javascript:…">` would otherwise reach the leadership as a live
image or link.

Both renderers decode numeric character references as literal text AFTER they have recognised their own
syntax (CommonMark: "entity references are treated as literal text"; plotly.js converts entities in the
text between tags), so `&#91;` shows "[" and never opens a link in either. One function therefore serves
both: every ASCII punctuation character that Markdown, Streamlit's directives (":red[…]", ":material/…:"),
LaTeX ("$") or HTML give a meaning to becomes its numeric reference; line breaks become spaces (a line
break would start a heading or a list). GitHub-flavoured Markdown also turns bare "http://…", "www.…" and
"name@host" into links, and it looks for them in the DECODED text; it only does so after a space or a
punctuation mark, so an invisible WORD JOINER (U+2060) goes in front of such a word and before every "@".

Plain-text places (selectbox options, st.dataframe cells, exports) must NOT use it: they would show the
references themselves.
"""
from __future__ import annotations

import re
from typing import Any

# , ; ' " / % ? have no meaning of their own outside link syntax, which the brackets' escaping disarms;
# they stay readable in the element values
_SPECIAL = "\\`*_{}[]<>()#+-.!|~$:&@=^"
_TABLE = {ord(c): f"&#{ord(c)};" for c in _SPECIAL}
_TABLE.update({ord("\n"): " ", ord("\r"): " ", ord("\t"): " ", ord("\v"): " ", ord("\f"): " "})
WORD_JOINER = "\u2060"
_TABLE[ord("@")] = WORD_JOINER + _TABLE[ord("@")]  # "name@host" is an e-mail link only right after the name
# a bare link starts a word: GFM's autolink literals (http://, https://, www.; mailto:, xmpp: in newer ones)
_AUTOLINK_START = re.compile(r"(?i)(?<![0-9a-z_])(?=(?:https?|ftp)://|www\.|mailto:|xmpp:)")


def literal(value: Any) -> str:
    """`value` as text that Markdown and Plotly show literally ('' for None); apply once, at display."""
    if value is None:
        return ""
    return _AUTOLINK_START.sub(WORD_JOINER, str(value)).translate(_TABLE)

