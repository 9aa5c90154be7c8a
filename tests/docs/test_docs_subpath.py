"""The site works under a sub-path, as course sites are hosted (``https://ORG.github.io/COURSE/``).

Every page but one uses relative links. The 404 page is the exception: the web server sends it
for any missing URL, at any depth, so its links must be absolute — and right only when they start
with the path of ``site_url``. Without a browser: serve the built site under that sub-path and
fetch everything the 404 page links to.
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

REPO = Path(__file__).resolve().parents[2]
LINK = re.compile(r'(?:href|src)="([^"#]+)"')


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output clean."""


def _site_path() -> str:
    from mkdocs.config import load_config

    config = load_config(str(REPO / "mkdocs.yml"))
    assert config.site_url, "mkdocs.yml needs site_url: the 404 page's links depend on it"
    return urlsplit(str(config.site_url)).path or "/"


def _local_links(html: str) -> list[str]:
    return sorted({link for link in LINK.findall(html) if not urlsplit(link).netloc})


def test_site_url_is_a_sub_path_and_404_links_stay_inside_it(built_site: Path) -> None:
    base = _site_path()
    assert base != "/" and base.endswith("/")
    links = _local_links((built_site / "404.html").read_text(encoding="utf-8"))
    assert links
    outside = [link for link in links if link.startswith("/") and not link.startswith(base)]
    assert not outside, f"root-absolute links outside {base}: {outside[:5]}"


def test_404_page_links_resolve_when_served_under_the_sub_path(
    built_site: Path, tmp_path: Path
) -> None:
    base = _site_path()
    mount = tmp_path / base.strip("/")
    mount.parent.mkdir(parents=True, exist_ok=True)
    mount.symlink_to(built_site, target_is_directory=True)
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        root = f"http://127.0.0.1:{server.server_address[1]}"
        missing = f"{root}{base}no/such/page/"  # where a student's mistyped link would land
        broken = []
        for link in _local_links((built_site / "404.html").read_text(encoding="utf-8")):
            url = urljoin(missing, link)
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    ok = response.status == 200
            except OSError:
                ok = False
            if not ok:
                broken.append(link)
        assert not broken, f"404 page links that do not load under {base}: {broken[:5]}"
    finally:
        server.shutdown()
        server.server_close()
