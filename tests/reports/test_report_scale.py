"""Every report of a county-sized version: read once, PDFs made by a pool, bytes unchanged.

Measured before (issue 16, ``scripts/bench_reports.py``): the HTML of one scorecard took
49 ms with 100 cadres, 116 ms with 200 and 465 ms with 400, because each scorecard read
the whole stored result back into records and converted its post group's cadres to
plain form again; 800 cadres did not finish in 16 minutes. Counted here, not timed.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

import reports.render.context
from assessment.core import explain
from assessment.core.records import CadreResult, result_to_plain
from reports.services import documents
from tests.assessment.core.test_results import cadre_p, compute, make_rulebook, merge

N_CADRES = 8


@pytest.fixture(scope="module")
def version():
    """A period of eight cadres of one post group (ids as the database gives them)."""
    rulebook = make_rulebook()
    inputs = merge(*(cadre_p(str(i), q1=50.0 + 5 * i, q2=5.0 + i) for i in range(1, N_CADRES + 1)))
    result = compute(rulebook, inputs, resamples=20, seed=3)
    return documents.VersionData(
        period=SimpleNamespace(id=3, name="2026年度", subjects="cadres"),  # type: ignore[arg-type]
        version=SimpleNamespace(  # type: ignore[arg-type]
            id=9, number=1, rules_digest=result.rules_digest, data_digest=result.data_digest
        ),
        payload={"result": result_to_plain(result)},
        rulebook=rulebook,
        unit_names={"u1": "竹园村"},
    )


def _facts(data):
    return data.facts(now=datetime(2026, 12, 6, 8, 0, tzinfo=UTC), base_url="https://kh.cn")


def _counting(monkeypatch, module, name, counts, *, only=None):
    original = getattr(module, name)

    def counted(value, *args, **kwargs):
        if only is None or isinstance(value, only):
            counts[name] = counts.get(name, 0) + 1
        return original(value, *args, **kwargs)

    monkeypatch.setattr(module, name, counted)


def test_every_scorecard_of_a_version_reads_the_result_once(app, version, monkeypatch):
    counts: dict[str, int] = {}
    _counting(monkeypatch, reports.render.context, "result_from_plain", counts)
    # Top-level conversions of a cadre's record (the nested ones recurse inside records).
    for module in (reports.render.context, explain):
        _counting(monkeypatch, module, "record_to_plain", counts, only=CadreResult)
    data = documents.VersionData(**{f: getattr(version, f) for f in version.__dataclass_fields__})
    facts = _facts(data)
    with app.app_context():
        for cadre_id in data.cadre_ids():
            documents.scorecard_html(data, cadre_id, facts, "zh_CN")
    # Before: once per scorecard (8), and n + n² = 72 cadre conversions (each scorecard
    # converted its whole group of eight for the group means, and itself).
    assert counts["result_from_plain"] == 1
    assert counts["record_to_plain"] == 2 * N_CADRES  # the index once, each cadre's own


@pytest.fixture
def report_html(app, version):
    with app.app_context():
        return list(documents.iter_report_html(version, _facts(version), "zh_CN", list))


def _digests(pdfs):
    return [(name, hashlib.sha256(pdf).hexdigest()) for name, pdf in pdfs]


def test_pdfs_made_by_the_pool_are_the_bytes_of_one_after_another(report_html):
    reports_ = report_html[:3] + report_html[-1:]  # three scorecards and the summary
    one_by_one = list(documents.iter_pdfs(reports_, workers=1))
    pooled = list(documents.iter_pdfs(reports_, workers=2))
    assert [name for name, _ in pooled] == [name for name, _ in reports_]
    assert all(pdf.startswith(b"%PDF-") for _, pdf in pooled)
    assert _digests(pooled) == _digests(one_by_one)
    assert multiprocessing.active_children() == []


def _stub_pdf(html: str) -> bytes:
    if html == "raise":
        raise RuntimeError("renderer crashed")
    if html == "die":
        os._exit(3)  # a worker killed mid-report (out of memory, a signal)
    return b"%PDF-1.7 " + html.encode()


STUB_REPORTS = [("a.pdf", "ok"), ("b.pdf", "ok"), ("c.pdf", "ok"), ("d.pdf", "ok")]


@pytest.mark.parametrize(
    ("workers", "failure", "cause"),
    [
        (1, "raise", "RuntimeError"),
        (2, "raise", "RuntimeError"),
        # Only a worker process can die without taking the caller with it.
        (2, "die", "BrokenProcessPool"),
    ],
)
def test_a_failed_report_is_named_and_the_workers_are_stopped(monkeypatch, workers, failure, cause):
    monkeypatch.setattr(documents, "html_to_pdf", _stub_pdf)  # forked workers inherit it
    reports_ = [*STUB_REPORTS[:2], ("scorecard-x.pdf", failure), *STUB_REPORTS[2:]]
    made = []
    with pytest.raises(documents.ReportRenderError) as caught:
        for name, _pdf in documents.iter_pdfs(reports_, workers=workers):
            made.append(name)
    assert caught.value.cause_name == cause
    if failure == "raise":
        assert caught.value.name == "scorecard-x.pdf"
        assert "scorecard-x.pdf: RuntimeError: renderer crashed" in str(caught.value)
        assert made == ["a.pdf", "b.pdf"]  # in order, nothing after the failed one
    else:
        # A dead worker takes the reports it was given with it; which one killed it is
        # unknown, so the first report not made is named (never one after the dead one).
        assert made == ["a.pdf", "b.pdf"][: len(made)]
        assert caught.value.name == ["a.pdf", "b.pdf", "scorecard-x.pdf"][len(made)]
    assert multiprocessing.active_children() == []


def test_stopping_early_shuts_the_pool_down(monkeypatch):
    monkeypatch.setattr(documents, "html_to_pdf", _stub_pdf)
    pdfs = documents.iter_pdfs(STUB_REPORTS * 3, workers=2)
    assert next(pdfs) == ("a.pdf", b"%PDF-1.7 ok")
    assert multiprocessing.active_children() != []
    pdfs.close()
    assert multiprocessing.active_children() == []
