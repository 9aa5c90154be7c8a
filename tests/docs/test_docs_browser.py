"""Open the built site in headless Chromium: navigate, search, and save screenshots.

Screenshots of the home page and a system page land in ``tests/artifacts/`` (git-ignored) so a
person can look at them. The driver path is given explicitly, so selenium-manager never
downloads anything.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mlip_docs.architecture import BOX_FONT_SIZE, LABEL_FONT_SIZE

from mlip.systems import system_names

ARTIFACTS = Path(__file__).resolve().parents[2] / "tests" / "artifacts"

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output clean."""


@pytest.fixture(scope="module")
def site_url(built_site: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver")
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("chromium and chromedriver are not installed (apt-get install chromium-driver)")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="mlip-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _wait(driver: Any, css: str, timeout: float = 15) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(
        expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, css))
    )


def test_navigation_reaches_every_top_level_section(browser: Any, site_url: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(site_url)
    tabs = browser.find_elements(By.CSS_SELECTOR, "a.md-tabs__link")
    targets = {tab.text.strip(): tab.get_attribute("href") for tab in tabs}
    assert {"Home", "Systems", "Assignments", "CLI reference"} <= set(targets)
    for title, href in targets.items():
        browser.get(href)
        heading = _wait(browser, "article h1")
        assert heading.text.strip(), f"{title}: page without a heading"
        assert "404" not in browser.title


def test_home_page_screenshot(browser: Any, site_url: str) -> None:
    browser.get(site_url)
    assert "unreliable" in _wait(browser, "article").text
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "docs-home.png"))


def test_system_page_via_navigation_with_diagram(browser: Any, site_url: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(site_url)
    browser.find_element(By.LINK_TEXT, "Systems").click()
    _wait(browser, "article h1")
    browser.find_element(By.CSS_SELECTOR, "article").find_element(
        By.PARTIAL_LINK_TEXT, "Smart toaster"
    ).click()
    assert _wait(browser, "article h1").text.strip() == "Smart toaster"
    diagram = browser.find_element(By.CSS_SELECTOR, "article img[src$='architecture.svg']")
    assert browser.execute_script("return arguments[0].naturalWidth", diagram) > 100
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", diagram)
    time.sleep(0.5)  # let the header's scroll animation settle before the screenshot
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "docs-system-toaster.png"))


#: Every text of the diagrams is at least this big.
DIAGRAM_SMALLEST_FONT = min(BOX_FONT_SIZE, LABEL_FONT_SIZE)


@pytest.mark.parametrize("name", system_names())
def test_system_diagram_is_readable_on_a_390_px_phone(
    browser: Any, site_url: str, name: str
) -> None:
    """On a phone the diagram fits the screen and its smallest text still shows at 9 px."""
    from selenium.webdriver.common.by import By

    browser.set_window_size(390, 844)
    try:
        browser.get(f"{site_url}systems/{name}/")
        diagram = _wait(browser, "article img[src$='architecture.svg']")
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", diagram)
        shown = browser.execute_script(
            "const r = arguments[0].getBoundingClientRect();"
            "return [r.left, r.right, arguments[0].naturalWidth, window.innerWidth,"
            " document.documentElement.scrollWidth]",
            diagram,
        )
        left, right, natural, viewport, page_width = shown
        assert viewport <= 400, "the window did not shrink to a phone's width"
        assert left >= 0 and right <= viewport, "the diagram runs off the screen"
        assert page_width <= viewport, "the page scrolls sideways"
        smallest = DIAGRAM_SMALLEST_FONT * (right - left) / natural
        assert smallest >= 9, f"{name}: smallest diagram text shows at {smallest:.1f} px"
        time.sleep(0.3)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        assert browser.save_screenshot(str(ARTIFACTS / f"docs-system-{name}-phone.png"))
    finally:
        browser.set_window_size(1280, 900)
    # Rendered by a real browser with its own fonts: every text inside its box, none overlapping.
    browser.get(f"{site_url}systems/{name}-architecture.svg")
    _wait(browser, "svg")
    problems = browser.execute_script(
        """
        const boxes = [], problems = [];
        for (const group of document.querySelectorAll('g.component, g.flow')) {
          const rect = group.querySelector('rect').getBBox();
          for (const text of group.querySelectorAll('text')) {
            const b = text.getBBox();
            boxes.push([text.textContent, b]);
            if (b.x < rect.x - 0.5 || b.y < rect.y - 0.5
                || b.x + b.width > rect.x + rect.width + 0.5
                || b.y + b.height > rect.y + rect.height + 0.5)
              problems.push('spills: ' + text.textContent);
          }
        }
        for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
          const [ta, a] = boxes[i], [tb, b] = boxes[j];
          if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height
              && b.y < a.y + a.height) problems.push('overlap: ' + ta + ' / ' + tb);
        }
        return problems;
        """
    )
    assert problems == [], problems
    assert browser.find_elements(By.CSS_SELECTOR, "g.component")


def test_search_finds_the_toaster_page(browser: Any, site_url: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(site_url)
    browser.find_element(By.CSS_SELECTOR, "label.md-search__icon, .md-search__input").click()
    box = _wait(browser, "input.md-search__input")
    box.send_keys("thermal_cutoff")
    result = _wait(browser, ".md-search-result__item a", timeout=20)
    assert "thermal_cutoff" in _wait(browser, ".md-search-result__list").text
    result.click()
    _wait(browser, "article h1")
    assert "/systems/toaster/" in browser.current_url or "/assignments/" in browser.current_url


class _PagesHandler(_QuietHandler):
    """Like GitHub Pages: a missing path gets the site's 404.html, with status 404."""

    not_found_page: Path

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        if code != 404:
            super().send_error(code, message, explain)
            return
        body = self.not_found_page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def test_404_page_works_under_the_course_sub_path(
    browser: Any, built_site: Path, tmp_path: Path
) -> None:
    """Served under site_url's path, a deep missing URL shows a styled page whose tabs work."""
    from urllib.parse import urlsplit

    from mkdocs.config import load_config
    from selenium.webdriver.common.by import By

    base = urlsplit(str(load_config(str(ARTIFACTS.parents[1] / "mkdocs.yml")).site_url)).path
    mount = tmp_path / base.strip("/")
    mount.parent.mkdir(parents=True, exist_ok=True)
    mount.symlink_to(built_site, target_is_directory=True)
    handler = type("Handler", (_PagesHandler,), {"not_found_page": built_site / "404.html"})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(tmp_path))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        root = f"http://127.0.0.1:{server.server_address[1]}{base}"
        browser.get(f"{root}no/such/deep/page/")
        _wait(browser, "header.md-header")
        styled = browser.execute_script(
            "return getComputedStyle(document.querySelector('header.md-header')).position"
        )
        assert styled in {"sticky", "fixed"}, "the 404 page's stylesheet did not load"
        tab = next(
            t
            for t in browser.find_elements(By.CSS_SELECTOR, "a.md-tabs__link")
            if t.text.strip() == "Systems"
        )
        tab.click()
        assert _wait(browser, "article h1").text.strip()
        assert browser.current_url.startswith(root)
    finally:
        server.shutdown()
        server.server_close()
