"""Every page we render from a student's notebook is inert: no student script ever runs.

Two walls. (1) nbconvert's :class:`~nbconvert.preprocessors.SanitizeHTML` (bleach) cleans
markdown cells (except the instructor's own, unchanged) and rich outputs with a strict
allow-list: no ``<script>``, no ``on*`` attributes, no ``<svg>``/``<iframe>``/``<object>``;
links and raw ``<img>`` only to http(s)/mailto (bleach's protocol list; markdown images and
PNG/JPEG outputs stay); unknown output types (``application/javascript``, SVG) are dropped.
(2) Each HTML file we write opens with a Content-Security-Policy that forbids every script and
every outside resource, so anything the first wall missed still cannot run or phone home.
MathJax, which nbconvert loads from a CDN, is blocked by the same policy: formulas show as TeX.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "add_csp",
    "make_inert",
    "sanitizer_class",
    "sanitizer_settings",
]

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


def student_sanitizer() -> type:
    """nbconvert's ``SanitizeHTML``, except for markdown the instructor wrote.

    bleach escapes ``<``, ``>`` and ``&`` in markdown source, which would break the
    instructor's own code spans and block quotes; a markdown cell whose text is exactly a
    markdown cell of the course's source notebook is the instructor's and is kept as it is.
    Every other markdown cell (anything a student wrote or changed) and every output is
    sanitised. Without the source notebook, everything is sanitised (fails closed).
    """
    import json

    from nbconvert.preprocessors.sanitize import SanitizeHTML
    from traitlets import Bool, Unicode

    class SanitizeStudentHTML(SanitizeHTML):
        course_root = Unicode("", help="Root folder of the course.").tag(config=True)
        enabled = Bool(True, help="Always on (nbconvert's default is off).").tag(config=True)

        def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
            self.instructor_markdown: set[str] = set()
            info = resources.get("nbgrader", {}) if isinstance(resources, dict) else {}
            try:
                path = (
                    Path(self.course_root)
                    / "source"
                    / str(info["assignment"])
                    / f"{info['notebook']}.ipynb"
                )
                cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
                for cell in cells:
                    if cell.get("cell_type") == "markdown":
                        text = cell.get("source", "")
                        self.instructor_markdown.add(
                            "".join(text) if isinstance(text, list) else str(text)
                        )
            except (KeyError, OSError, TypeError, ValueError):
                self.instructor_markdown = set()
            return super().preprocess(nb, resources)

        def preprocess_cell(
            self, cell: Any, resources: dict[str, Any], index: int
        ) -> tuple[Any, dict[str, Any]]:
            if cell.cell_type == "markdown" and cell.source in self.instructor_markdown:
                return cell, resources
            return super().preprocess_cell(cell, resources, index)

    return SanitizeStudentHTML


SanitizeStudentHTML = None  # replaced on first use (nbconvert is imported lazily)


def make_inert(config: Any, *, graded: list[type] | None = None) -> None:
    """Configure nbgrader so feedback pages (and autograded notebooks) are sanitised.

    ``config`` is a traitlets ``Config`` (the course's ``nbgrader_config.py``); ``graded`` are
    preprocessors that run on the feedback notebook after nbgrader's ``GetGrades``, before the
    sanitiser.
    """
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import GetGrades

    sanitizer = sanitizer_class()
    for name, value in sanitizer_settings().items():
        setattr(config.SanitizeHTML, name, value)
    root = config.CourseDirectory.get("root") if "CourseDirectory" in config else None
    if root:
        config.SanitizeStudentHTML.course_root = str(root)
    config.GenerateFeedback.preprocessors = [
        GetGrades,
        *(graded or []),
        sanitizer,
        CSSHTMLHeaderPreprocessor,
    ]


def sanitizer_class() -> type:
    """The one :func:`student_sanitizer` class of this process."""
    global SanitizeStudentHTML
    if SanitizeStudentHTML is None:
        SanitizeStudentHTML = student_sanitizer()
    return SanitizeStudentHTML


_HEAD = re.compile(r"<head(\s[^>]*)?>", re.IGNORECASE)


_URL_ATTRIBUTE = re.compile(
    r"""(?P<name>\b(?:href|src|action|formaction|xlink:href)\s*=\s*)"""
    r"""(?P<value>"[^"]*"|'[^']*'|[^\s>]+)""",
    re.IGNORECASE,
)
_SCRIPT_SCHEMES = ("javascript:", "vbscript:", "data:text", "data:application")


def _neutralise_urls(html: str) -> str:
    """Every link or source that would run code (``javascript:``, ``vbscript:``, HTML as a
    ``data:`` URL) becomes ``#blocked``, however it is spelled (entities, case, whitespace):
    markdown links are rendered after sanitising, so bleach never sees them."""
    import html as entities

    def check(match: re.Match[str]) -> str:
        value = match.group("value").strip("\"'")
        plain = "".join(char for char in entities.unescape(value) if char > " ").lower()
        if plain.startswith(_SCRIPT_SCHEMES):
            return f'{match.group("name")}"#blocked"'
        return match.group(0)

    return _URL_ATTRIBUTE.sub(check, html)


def add_csp(path: Path) -> None:
    """Put the Content-Security-Policy first in the ``<head>`` of the HTML file ``path``, and
    neutralise links that would run code."""
    html = _neutralise_urls(path.read_text(encoding="utf-8"))
    if _META in html:
        path.write_text(html, encoding="utf-8")
        return
    match = _HEAD.search(html)
    if match is None:
        html = f"<head>{_META}</head>\n{html}"
    else:
        html = html[: match.end()] + _META + html[match.end() :]
    path.write_text(html, encoding="utf-8")
