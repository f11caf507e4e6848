"""mkdocs hooks of the site (mkdocs.yml ``hooks:``): the illustrate marker, known docstring issues.

1. ```` ```python illustrate ```` marks a block that tests/test_docs.py compiles but does not run.
   superfences renders no code block for a bare word after the language, so each page's fence is
   rewritten to ```` ```python {.illustrate} ```` (highlighted as Python, of class
   ``illustrate``) before it is rendered. Pages only: a root file included with ``--8<--``
   (CHANGELOG.md, CONTRIBUTING.md) is inserted later and must not use the marker.
2. mkdocstrings parses every docstring with the options of the first page that loads ``lakefs``,
   so an exemption cannot be given per object: the filter below drops exactly the griffe warnings
   listed in ``KNOWN`` (docstrings of src/ reported to be fixed) and nothing else, so any new
   docstring problem still fails ``make docs --strict``. An entry that matches nothing any more
   is itself a warning: remove it when its docstring is fixed.
3. The tutorial notebook (docs/tutorial.ipynb, rendered by mkdocs-jupyter) links to pages as
   Jupyter and GitHub resolve links, by their Markdown file (``guides/folders.md``), but
   mkdocs-jupyter leaves its links as written, which the site would serve as missing pages. Each
   ``.md`` link of a notebook's page becomes the URL of that page; a link to no page is a
   warning, so ``make docs --strict`` fails on it as on a Markdown page's.
"""

from __future__ import annotations

import html
import logging
import posixpath
import re
from typing import Any

_MARKED = re.compile(
    r"^(?P<head>[ \t]*(?:`{3,}|~{3,})[ \t]*(?:python|py))[ \t]+illustrate[ \t]*$", re.MULTILINE
)


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    return _MARKED.sub(r"\g<head> {.illustrate}", markdown)


_LINK = re.compile(r'(?P<head><a\s[^>]*?href=")(?P<target>[^":#?]+\.md)(?P<anchor>#[^"]*)?"')


def on_page_content(html_text: str, *, page: Any, files: Any, **kwargs: Any) -> str:
    source = page.file.src_uri
    if not source.endswith(".ipynb"):
        return html_text

    def resolve(match: re.Match[str]) -> str:
        target = posixpath.normpath(
            posixpath.join(posixpath.dirname(source), html.unescape(match["target"]))
        )
        found = files.get_file_from_path(target)
        if found is None:
            logging.getLogger("mkdocs.plugins.site_hooks").warning(
                "%s links to %s, which is no page of the site", source, match["target"]
            )
            return match[0]
        return f'{match["head"]}{found.url_relative_to(page.file)}{match["anchor"] or ""}"'

    return _LINK.sub(resolve, html_text)


KNOWN: tuple[str, ...] = ()  # none at present
_seen: set[str] = set()


class _Known(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        for known in KNOWN:
            if known in text:
                _seen.add(known)
                return False
        return True


_FILTER = _Known()


def on_startup(**kwargs: Any) -> None:
    logging.getLogger("mkdocs.plugins.griffe").addFilter(_FILTER)


def on_post_build(**kwargs: Any) -> None:
    stale = [k for k in KNOWN if k not in _seen]
    if stale:
        logging.getLogger("mkdocs.plugins.site_hooks").warning(
            "docs/reference/site_hooks.py: these docstrings were fixed, remove them from KNOWN: %s",
            "; ".join(stale),
        )
