"""The one PDF function: locked-down fetcher, CJK font embedded, text extractable."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from reports.render.pdf import (
    PRINT_ASSETS,
    AssetOnlyFetcher,
    RefusedURLError,
    html_to_pdf,
    resolve_asset,
)

DOC = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<link rel="stylesheet" href="asset:print.css"></head>
<body><h1 class="doc-title">青山镇 满意度测评 Survey</h1>
<p>测评码 ABCD-EFGH-JKS</p>{extra}</body></html>"""


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.css",
        "https://example.org/x.png",
        "data:text/plain,hi",
        "asset:../../pyproject.toml",
        "asset:%2e%2e/%2e%2e/pyproject.toml",
        "asset://evil/print.css",
        "asset:missing.css",
    ],
)
def test_fetcher_refuses_everything_but_assets_under_static_print(url):
    with pytest.raises(RefusedURLError):
        AssetOnlyFetcher().fetch(url)


def test_fetcher_serves_print_css():
    assert resolve_asset("asset:print.css") == (PRINT_ASSETS / "print.css").resolve()
    response = AssetOnlyFetcher().fetch("asset:print.css")
    assert b"WenQuanYi Micro Hei" in response.read()
    response.close()


def test_refused_resources_are_skipped_and_the_rest_renders(tmp_path, caplog):
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    pdf = html_to_pdf(
        DOC.format(
            extra=f'<img src="file://{tmp_path}/x.png"><link rel="stylesheet" href="file://{secret}">'
            '<img src="http://127.0.0.1:9/x.png">'
        )
    )
    assert pdf.startswith(b"%PDF")
    assert "refused" in caplog.text.lower() or "failed" in caplog.text.lower()


def test_pdf_embeds_the_cjk_font_and_keeps_the_text():
    reader = PdfReader(io.BytesIO(html_to_pdf(DOC.format(extra=""))))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "青山镇" in text and "ABCD-EFGH-JKS" in text
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert any("wenquanyi" in f.lower() or "wqy" in f.lower() for f in fonts), fonts
    assert "1 / 1" in text  # page numbers from the @page margin box
