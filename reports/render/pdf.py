"""The one PDF function of the project, with a locked-down resource fetcher.

This is the only module that imports WeasyPrint. Templates refer to their print
resources (``print.css``, fonts, images) as ``asset:<path>``, which resolves inside
``static/print/`` and nowhere else. Every other URL, ``file:`` and ``http(s):``
included, is refused, so a value that reaches a template can never make the renderer
read a local file or call out over the network.
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
PRINT_ASSETS = PROJECT_ROOT / "static" / "print"
ASSET_SCHEME = "asset"


class RefusedURLError(ValueError):
    """A template asked for a resource outside ``asset:`` under static/print/."""


def resolve_asset(url: str, root: Path = PRINT_ASSETS) -> Path:
    """The file an ``asset:`` URL names, after checking it stays under ``root``.

    Raises
    ------
    RefusedURLError
        For any other scheme, or a path that leaves ``root`` (``..``, symlinks).
    """
    parts = urlsplit(url)
    if parts.scheme.lower() != ASSET_SCHEME or parts.netloc:
        raise RefusedURLError(f"refused URL scheme in {url[:80]!r}")
    relative = unquote(parts.path).lstrip("/")
    base = root.resolve()
    path = (base / relative).resolve()
    if not path.is_relative_to(base) or not path.is_file():
        raise RefusedURLError(f"refused asset path {relative[:80]!r}")
    return path


class AssetOnlyFetcher(URLFetcher):  # type: ignore[misc]
    """A WeasyPrint fetcher that serves ``asset:`` files from static/print/ only."""

    def __init__(self, root: Path = PRINT_ASSETS) -> None:
        super().__init__(allowed_protocols=[ASSET_SCHEME], allow_redirects=False)
        self.root = root

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        path = resolve_asset(url, self.root)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            url, body=path.read_bytes(), headers={"Content-Type": content_type}
        )


def html_to_pdf(html: str) -> bytes:
    """Render an HTML document to PDF bytes; resources only through ``asset:`` URLs."""
    document = HTML(string=html, url_fetcher=AssetOnlyFetcher())
    pdf: bytes = document.write_pdf()
    return pdf
