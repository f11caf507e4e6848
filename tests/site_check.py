"""The built documentation site (site/), seen in a real browser: ``make docs-check``.

What a strict ``mkdocs build`` cannot see, checked on the pages as a reader's browser shows them
(headless Chromium, Debian's ``chromium`` package, installed with apt-get when missing, as the
Makefile's ``field-tools`` installs nginx):

1. **Pages render.** The home page, a guide and an API reference page are loaded from a local
   http server (``http.server`` on a free port of 127.0.0.1, on a thread of this process) in
   one headless Chromium driven through the DevTools protocol (over a pipe: no port, no
   websocket library); in the DOM once the page's JavaScript ran, each has its text, its code
   blocks, and the copy buttons the Material theme's JavaScript adds to them (so its bundle
   loaded and ran). A screenshot of each is kept under ``.cache/site-screenshots/`` (a CI
   artefact; ``search.png`` too) and must not be a blank image.
2. **Search finds** ``upload_folder``: the Material theme's client-side search (a web worker
   over ``search/search_index.json``) is opened by ``?q=upload_folder`` on the home page (the
   theme's shared-search link), and the results it renders into the DOM must include the
   folders guide and the API reference.
3. **No link is broken**: every ``<a href>`` of every built page (and every ``src`` of its
   images and scripts, ``href`` of its stylesheets) that stays on the site names a file that
   exists, and its ``#fragment`` an id of that page.

Every process started (Chromium and its helpers: one process group) is killed, and the
server is shut down, on success, failure or Ctrl-C. Exit status 0 when everything holds; the
failures are listed otherwise.

    .venv/bin/python tests/site_check.py [--site site] [--screenshots .cache/site-screenshots]
"""

from __future__ import annotations

import argparse
import base64
import functools
import http.server
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
PACKAGE = "chromium"  # Debian's
DEADLINE_S = 60  # the longest one DevTools command may take
WAIT_S = 30  # the longest a page may take to render what is checked


COPY_BUTTON = "button.md-code__button[data-md-type=copy]"  # the theme's JavaScript adds them


@dataclass(frozen=True)
class Page:
    name: str  # the screenshot's name
    path: str  # below the site's root
    title: str  # text the rendered page must contain
    min_code_blocks: int
    code: str = "pre > code"  # a code block (CSS selector)
    copy: str = COPY_BUTTON  # its copy button


PAGES = (
    Page("home", "", "A first example", 2),
    Page("guide", "guides/folders/", "upload_folder", 3),
    Page("reference", "reference/resources/", "upload_folder", 5),
    # the notebook, rendered by mkdocs-jupyter: its cells' markup and copy buttons are its own
    Page(
        "tutorial",
        "tutorial/",
        "Read both versions with pandas",
        10,
        code=".highlight-ipynb pre",
        copy="clipboard-copy",
    ),
)
SEARCH = "upload_folder"
SEARCH_MUST_FIND = ("guides/folders/", "reference/")  # result links, relative to the root


# -- the browser --------------------------------------------------------------------------------


def find_browser() -> str | None:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def ensure_browser() -> str:
    """Chromium's path, installing Debian's package (as root, or through sudo) if missing."""
    found = find_browser()
    if found:
        return found
    if os.geteuid() == 0:
        sudo: list[str] = []
    elif shutil.which("sudo"):
        sudo = ["sudo"]
    else:
        sys.exit(f"site-check: install {PACKAGE} (apt-get install {PACKAGE}): not root and no sudo")
    print(f"site-check: installing {PACKAGE}", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*sudo, "apt-get", "update", "-q"], check=True, env=env)
    subprocess.run(
        [*sudo, "apt-get", "install", "-y", "-q", "--no-install-recommends", PACKAGE],
        check=True,
        env=env,
    )
    found = find_browser()
    if not found:
        sys.exit(f"site-check: {PACKAGE} installed, but none of {BROWSERS} is on PATH")
    return found


class Browser:
    """One headless Chromium driven through the DevTools protocol over a pipe
    (``--remote-debugging-pipe``: commands on its fd 3, answers on its fd 4, each a JSON message
    ended by a NUL byte), so a check waits in real time for what the page's scripts render (the
    search runs in a web worker, which ``--virtual-time-budget`` does not wait for). Its whole
    process group is killed on close (Chromium leaves helpers behind otherwise)."""

    def __init__(self, executable: str, profile: Path) -> None:
        commands_read, self._commands = os.pipe()
        self._answers, answers_write = os.pipe()
        flags = " ".join(f"'{flag}'" for flag in (*_FLAGS, f"--user-data-dir={profile}"))
        self.process = subprocess.Popen(
            # the shell puts the pipes at the fds the protocol uses
            ["sh", "-c", f"exec '{executable}' {flags} 3<&{commands_read} 4>&{answers_write}"],
            pass_fds=(commands_read, answers_write),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: killed whole in close()
        )
        os.close(commands_read)
        os.close(answers_write)
        self._buffer = b""
        self._next_id = 0
        self.session = ""

    def close(self) -> None:
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        gone = time.monotonic() + 10  # the helpers die with it, reaped by init
        with suppress(ProcessLookupError):
            while time.monotonic() < gone:
                os.killpg(self.process.pid, 0)
                time.sleep(0.1)
            print(f"site-check: chromium's process group {self.process.pid} outlived SIGKILL")
        for fd in (self._commands, self._answers):
            with suppress(OSError):
                os.close(fd)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, method: str, deadline: float, **params: Any) -> dict[str, Any]:
        """Send one command (to the page's session once ``open`` attached one); its result."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if self.session and not method.startswith("Target."):
            message["sessionId"] = self.session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._receive(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"chromium: {method}: {answer['error']}")
                return dict(answer.get("result", {}))

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._answers], [], [], left)[0]:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self._answers, 1 << 20)
            if not chunk:
                raise RuntimeError(f"chromium exited ({self.process.poll()})")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return dict(json.loads(message))

    def open(self, url: str, width: int = 1280, height: int = 1600) -> None:
        """A new tab at ``url`` (the first call attaches this browser to it)."""
        deadline = time.monotonic() + DEADLINE_S
        if not self.session:
            target = self.send("Target.createTarget", deadline, url="about:blank")
            attached = self.send(
                "Target.attachToTarget", deadline, targetId=target["targetId"], flatten=True
            )
            self.session = attached["sessionId"]
            self.send("Page.enable", deadline)
            self.send(
                "Emulation.setDeviceMetricsOverride",
                deadline,
                width=width,
                height=height,
                deviceScaleFactor=1,
                mobile=False,
            )
        self.send("Page.navigate", deadline, url=url)

    def evaluate(self, expression: str) -> Any:
        deadline = time.monotonic() + DEADLINE_S
        result = self.send("Runtime.evaluate", deadline, expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, seconds: float = WAIT_S) -> Any:
        """The value of ``expression`` once it is truthy, polled; the last value at the deadline."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                value = self.evaluate(expression)
            except RuntimeError:  # the page is navigating: its context went away
                value = None
            if value or time.monotonic() > deadline:
                return value
            time.sleep(0.2)

    def screenshot(self, path: Path) -> None:
        deadline = time.monotonic() + DEADLINE_S
        shot = self.send("Page.captureScreenshot", deadline, format="png")
        path.write_bytes(base64.b64decode(shot["data"]))


_FLAGS = (
    "--headless",
    "--remote-debugging-pipe",
    "--no-sandbox",  # root in a container has no user namespaces for the sandbox
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-crash-reporter",
    "--disable-breakpad",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--mute-audio",
)


# -- the server ---------------------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """The site at http://127.0.0.1:PORT/ (a free port), on a thread; shut down on exit."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# -- reading HTML -------------------------------------------------------------------------------


class _Links(HTMLParser):
    """A built page's links (``<a href>``), assets (``<img src>``, ``<script src>``,
    ``<link href>``) and the ids its fragments may name."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.assets: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        for key in ("id", "name") if tag == "a" else ("id",):
            if values.get(key):
                self.ids.add(values[key])
        if tag == "a" and "href" in values:
            self.links.append(values["href"])
        elif tag in ("img", "script") and values.get("src"):
            self.assets.append(values["src"])
        elif tag == "link" and values.get("href"):
            self.assets.append(values["href"])


def parse(html: str) -> _Links:
    found = _Links()
    found.feed(html)
    found.close()
    return found


# -- the checks ---------------------------------------------------------------------------------


def _state(page: Page, url: str, *, now: bool = False) -> str:
    """JavaScript: what the checks read of the page at ``url`` once it is loaded, the theme's
    bundle ran (its focus-visible polyfill marks the root element ``js-focus-visible``) and the
    copy buttons are there; false before (or while the previous page is still shown), unless
    ``now``."""
    return f"""(() => {{
      const state = {{
        title: document.title,
        text: document.body.innerText,
        code: document.querySelectorAll({json.dumps(page.code)}).length,
        copy: document.querySelectorAll({json.dumps(page.copy)}).length,
        ran: document.documentElement.classList.contains("js-focus-visible"),
      }};
      const here = location.href === {json.dumps(url)} && document.readyState === "complete";
      return ({json.dumps(now)} || here && state.ran && state.copy > 0) && state;
    }})()"""


_RESULTS = """(() => {
  const meta = document.querySelector(".md-search-result__meta");
  const links = [...document.querySelectorAll(".md-search-result__list a")].map(a => a.href);
  return meta && /\\d/.test(meta.innerText) && links.length > 0 && links;
})()"""


def check_pages(browser: Browser, base: str, shots: Path) -> list[str]:
    failures = []
    for page in PAGES:
        url = base + page.path
        browser.open(url)
        state = browser.wait_for(_state(page, url)) or browser.evaluate(_state(page, url, now=True))
        found = f"{state['code']} code blocks, {state['copy']} copy buttons"
        if page.title not in state["text"]:
            failures.append(f"{url}: {page.title!r} is not in the rendered page")
        if state["code"] < page.min_code_blocks:
            failures.append(f"{url}: {found}, expected at least {page.min_code_blocks} code blocks")
        if not state["ran"]:
            failures.append(f"{url}: the theme's JavaScript did not run ({found})")
        if state["copy"] < state["code"]:
            failures.append(f"{url}: {found}: code blocks without a copy button")
        shot = shots / f"{page.name}.png"
        shot.unlink(missing_ok=True)
        browser.screenshot(shot)
        problem = _blank(shot)
        if problem:
            failures.append(f"{url}: screenshot {shot}: {problem}")
        print(f"site-check: {page.name}: {url} {state['title']!r}: {found}; {shot}")
    return failures


def _blank(shot: Path) -> str | None:
    if not shot.is_file() or shot.stat().st_size == 0:
        return "not written"
    try:
        from PIL import Image
    except ImportError:  # the dev group has pillow; without it, only the file is checked
        return None
    with Image.open(shot) as image:
        colours = image.convert("L").getcolors(maxcolors=4096)
    if colours is not None and len(colours) < 8:
        return f"{len(colours)} shades of grey: a blank page"
    return None


def check_search(browser: Browser, base: str, shots: Path) -> list[str]:
    """The query given in the URL, as a shared search link: the theme opens the search with it
    and its worker's results are rendered into the result list."""
    url = f"{base}?q={SEARCH}"
    browser.open(url)
    results = browser.wait_for(_RESULTS) or []
    browser.screenshot(shots / "search.png")
    print(f"site-check: search {SEARCH!r}: {len(results)} results; {shots / 'search.png'}")
    if not results:
        return [f"{url}: the search rendered no result for {SEARCH!r}"]
    missing = [want for want in SEARCH_MUST_FIND if not any(base + want in r for r in results)]
    if missing:
        return [f"{url}: no search result under {missing} (results: {results[:10]})"]
    return []


def check_links(site: Path) -> list[str]:
    """Every site-local link and asset of every built page exists; fragments name an id."""
    pages = sorted(site.rglob("*.html"))
    doms = {page: parse(page.read_text(encoding="utf-8")) for page in pages}
    failures: list[str] = []
    links = 0
    for page, dom in doms.items():
        here = "/" + page.relative_to(site).as_posix()
        for ref, is_link in [(h, True) for h in dom.links] + [(s, False) for s in dom.assets]:
            parts = urlsplit(urljoin(here, ref))
            if parts.scheme or parts.netloc or ref.startswith(("mailto:", "javascript:")):
                continue  # another site
            links += 1
            target = site / unquote(parts.path).lstrip("/")
            if parts.path.endswith("/") or target.is_dir():
                target = target / "index.html"
            name = f"{page.relative_to(site)}: {ref!r}"
            if not target.resolve().is_relative_to(site.resolve()):
                failures.append(f"{name} leaves the site")
            elif not target.is_file():
                failures.append(f"{name}: no {target.relative_to(site)}")
            elif is_link and parts.fragment and target.suffix == ".html":
                ids = doms[target].ids if target in doms else set()
                if unquote(parts.fragment) not in ids:
                    failures.append(f"{name}: {target.relative_to(site)} has no #{parts.fragment}")
    print(f"site-check: links: {links} site-local links and assets of {len(pages)} pages checked")
    return list(dict.fromkeys(failures))  # a link given twice on a page is one failure


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site")
    parser.add_argument("--screenshots", type=Path, default=ROOT / ".cache" / "site-screenshots")
    options = parser.parse_args()
    site: Path = options.site.resolve()
    if not (site / "index.html").is_file() or not (site / "search" / "search_index.json").is_file():
        print(f"site-check: {site} holds no built site: run make docs first", file=sys.stderr)
        return 2
    started = time.monotonic()
    failures = check_links(site)
    executable = ensure_browser()
    version = subprocess.run([executable, "--version"], capture_output=True, text=True, check=False)
    print(f"site-check: {version.stdout.strip()}")
    options.screenshots.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="site-check-") as profile,
        serve(site) as base,
        Browser(executable, Path(profile)) as browser,
    ):
        failures += check_pages(browser, base, options.screenshots)
        failures += check_search(browser, base, options.screenshots)
    for failure in failures:
        print(f"site-check: FAIL {failure}", file=sys.stderr)
    verdict = f"{len(failures)} failures" if failures else "ok"
    print(f"site-check: {verdict} in {time.monotonic() - started:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
