"""Every page we render from a student's notebook is inert: no student script ever runs.

Two walls. (1) nbconvert's :class:`~nbconvert.preprocessors.SanitizeHTML` (bleach) cleans
markdown cells and rich outputs with a strict allow-list: no ``<script>``, no ``on*``
attributes, no ``<svg>``/``<iframe>``/``<object>``, links and raw ``<img>`` only to http(s)/mailto
(bleach's protocol list; markdown images and PNG/JPEG outputs stay); unknown output types
(``application/javascript``, SVG) are dropped.
(2) Each HTML file we write opens with a Content-Security-Policy that forbids every script and
every outside resource, so anything the first wall missed still cannot run or phone home.
MathJax, which nbconvert loads from a CDN, is blocked by the same policy: formulas show as TeX.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

__all__ = ["CONTENT_SECURITY_POLICY", "add_csp", "make_inert", "sanitizer_settings"]

#: No scripts, no frames, no outside requests; inline styles and inline images only.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; "
    "form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
)
_META = f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'

#: Tags a rendered markdown cell or an HTML output may keep (bleach escapes all others).
ALLOWED_TAGS = [
    "a", "abbr", "b", "blockquote", "br", "code", "del", "details", "div", "em", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span",
    "strong", "sub", "summary", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
]  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title"],
    "abbr": ["title"],
    "img": ["src", "alt", "title", "width", "height"],
    "td": ["align"],
    "th": ["align"],
}


def sanitizer_settings() -> dict[str, Any]:
    """Traitlets settings of nbconvert's ``SanitizeHTML`` for our allow-list."""
    return {
        "tags": list(ALLOWED_TAGS),
        "attributes": {tag: list(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        "strip": False,  # escaped, so the instructor sees what was attempted
        "strip_comments": True,
        "safe_output_keys": {"metadata", "text/plain", "image/png", "image/jpeg"},
        "sanitized_output_types": {"text/html", "text/markdown"},
    }


def make_inert(config: Any) -> None:
    """Configure nbgrader so feedback pages (and autograded notebooks) are sanitised.

    ``config`` is a traitlets ``Config`` (the course's ``nbgrader_config.py``).
    """
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbconvert.preprocessors.sanitize import SanitizeHTML
    from nbgrader.preprocessors import GetGrades

    for name, value in sanitizer_settings().items():
        setattr(config.SanitizeHTML, name, value)
    config.GenerateFeedback.preprocessors = [GetGrades, SanitizeHTML, CSSHTMLHeaderPreprocessor]


_HEAD = re.compile(r"<head(\s[^>]*)?>", re.IGNORECASE)


def add_csp(path: Path) -> None:
    """Put the Content-Security-Policy first in the ``<head>`` of the HTML file ``path``."""
    html = path.read_text(encoding="utf-8")
    if _META in html:
        return
    match = _HEAD.search(html)
    if match is None:
        html = f"<head>{_META}</head>\n{html}"
    else:
        html = html[: match.end()] + _META + html[match.end() :]
    path.write_text(html, encoding="utf-8")
