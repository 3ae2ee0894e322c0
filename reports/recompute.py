"""Recompute an open-data bundle's results with no database and no Flask.

Usage::

    python -m reports.recompute BUNDLE.zip [--out DIR]

It checks every file's SHA-256 against ``manifest.json`` and ``SHA256SUMS``, reads the
rulebook and the input files, computes the results with the app's own engine
(:func:`assessment.core.results.compute_period_results` with
:func:`surveys.core.tally.summarise_targets`, as the app factory registers it), writes
them with the same function that wrote the bundle's ``results.csv``
(:func:`reports.core.bundle.results_csv`), and compares the two byte for byte. With
``--out`` the recomputed ``results.csv`` is written into DIR.

Exit status: 0 when the hashes agree and ``results.csv`` is reproduced exactly, 1
when anything differs or a file is malformed, 2 for a usage error. Only the standard
library, numpy, pandas, scipy, PyYAML and the pure ``*/core`` modules are imported
(``tests/reports/test_bundle.py`` checks it in a fresh interpreter).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assessment.core.cells import decode_csv, encode_csv
from assessment.core.errors import AssessmentError, RulebookError
from assessment.core.records import result_to_plain
from assessment.core.results import compute_period_results
from assessment.core.rulebook import rules_digest
from assessment.services.rulebook_io import load_rulebook_yaml
from reports.core.bundle import (
    INPUT_FILES,
    MANIFEST,
    OPTIONAL_INPUT_FILES,
    BundleError,
    check_checksums,
    inputs_from_tables,
    read_zip,
    results_csv,
)
from surveys.core.tally import summarise_targets

RULEBOOK = "rulebook.yaml"
RESULTS = "results.csv"
#: Differing lines listed in the report (the rest are counted).
SHOW_LINES = 10


@dataclass(slots=True)
class RecomputeReport:
    """What the recompute found.

    Parameters
    ----------
    manifest : dict
        ``manifest.json`` as read (empty when unreadable).
    hash_problems : list of (str, str)
        ``(file, reason)`` from :func:`reports.core.bundle.check_checksums`.
    error : str or None
        Why nothing could be recomputed (a malformed file, missing inputs).
    rules_digest : str or None
        Digest of the bundle's rulebook.
    results : str or None
        The recomputed ``results.csv``.
    differing : list of (int, str, str)
        ``(line, published, recomputed)`` for each line that differs.
    """

    manifest: dict[str, object] = field(default_factory=dict)
    hash_problems: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None
    rules_digest: str | None = None
    results: str | None = None
    differing: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def rules_digest_ok(self) -> bool:
        """The bundle's rulebook has the digest its manifest names."""
        return self.rules_digest is not None and self.rules_digest == self.manifest.get(
            "rules_digest"
        )

    @property
    def ok(self) -> bool:
        """Hashes agree, the rules digest matches and results.csv is reproduced exactly."""
        return (
            not self.hash_problems
            and self.error is None
            and self.rules_digest_ok
            and self.results is not None
            and not self.differing
        )


def recompute_results(files: Mapping[str, bytes]) -> tuple[str, str]:
    """The recomputed ``results.csv`` and the rules digest of a bundle's files.

    Raises
    ------
    BundleError, RulebookError, AssessmentError
        A file missing or malformed; inputs the engine refuses.
    """
    if RULEBOOK not in files:
        raise BundleError(RULEBOOK, "missing_file")
    rulebook = load_rulebook_yaml(files[RULEBOOK])
    texts = {}
    for name in (*INPUT_FILES, *OPTIONAL_INPUT_FILES):
        if name not in files:
            if name in OPTIONAL_INPUT_FILES:
                continue
            raise BundleError(name, "missing_file")
        try:
            texts[name] = decode_csv(files[name])
        except UnicodeDecodeError:
            raise BundleError(name, "not_utf8") from None
    inputs = inputs_from_tables(texts)
    # resamples=0: the bootstrap needs individual ratings, which a bundle does not hold
    result = compute_period_results(
        rulebook, inputs, summarise_survey=summarise_targets, resamples=0
    )
    return results_csv(result_to_plain(result)), rules_digest(rulebook)


def _differing(published: str, recomputed: str) -> list[tuple[int, str, str]]:
    a, b = published.splitlines(), recomputed.splitlines()
    out = []
    for line in range(max(len(a), len(b))):
        left = a[line] if line < len(a) else ""
        right = b[line] if line < len(b) else ""
        if left != right:
            out.append((line + 1, left, right))
    if not out and published != recomputed:
        out.append((len(a), "(line ends differ)", ""))
    return out


def check_bundle_files(files: Mapping[str, bytes]) -> RecomputeReport:
    """Check hashes, recompute and compare: everything but reading the zip."""
    report = RecomputeReport(hash_problems=check_checksums(files))
    try:
        manifest = json.loads(files.get(MANIFEST, b"{}"))
        report.manifest = manifest if isinstance(manifest, dict) else {}
    except ValueError:
        report.manifest = {}
    try:
        report.results, report.rules_digest = recompute_results(files)
    except (AssessmentError, RulebookError) as error:
        report.error = f"{type(error).__name__}: {error}"
        return report
    if RESULTS not in files:
        report.error = f"{RESULTS}: missing file"
        return report
    try:
        published = decode_csv(files[RESULTS])
    except UnicodeDecodeError:
        published = files[RESULTS].decode("utf-8", "replace")
    report.differing = _differing(published, report.results)
    return report


def check_bundle(data: bytes) -> RecomputeReport:
    """Read a bundle zip and run :func:`check_bundle_files` on it."""
    try:
        files = read_zip(data)
    except BundleError as error:
        return RecomputeReport(error=str(error))
    return check_bundle_files(files)


def describe(report: RecomputeReport, name: str) -> list[str]:
    """The report as lines of text (English: this tool runs without the app's catalogs)."""
    manifest = report.manifest
    period = manifest.get("period")
    version = manifest.get("version")
    period_name = period.get("name", "?") if isinstance(period, dict) else "?"
    number = version.get("number", "?") if isinstance(version, dict) else "?"
    lines = [f"bundle: {name} (period {period_name}, result version {number})"]
    if report.hash_problems:
        lines.append("hashes: DIFFER")
        lines += [f"  {file}: {reason.replace('_', ' ')}" for file, reason in report.hash_problems]
    else:
        lines.append("hashes: every file matches manifest.json and SHA256SUMS")
    if report.error is not None:
        lines.append(f"recompute: FAILED: {report.error}")
        return lines
    if report.rules_digest_ok:
        lines.append(f"rules digest: {report.rules_digest} (as in the manifest)")
    else:
        lines.append(
            f"rules digest: DIFFERS: rulebook.yaml gives {report.rules_digest}, "
            f"the manifest says {manifest.get('rules_digest')}"
        )
    if not report.differing:
        rows = max((report.results or "").count("\n") - 1, 0)
        lines.append(f"results.csv: reproduced byte for byte ({rows} cadres)")
    else:
        lines.append(f"results.csv: {len(report.differing)} lines DIFFER")
        for line, published, recomputed in report.differing[:SHOW_LINES]:
            lines += [
                f"  line {line}:",
                f"    published:  {published}",
                f"    recomputed: {recomputed}",
            ]
        if len(report.differing) > SHOW_LINES:
            lines.append(f"  ... and {len(report.differing) - SHOW_LINES} more")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m reports.recompute",
        description="Check an open-data bundle and recompute its results.csv "
        "(no database, no web app).",
    )
    parser.add_argument("bundle", type=Path, help="the bundle zip")
    parser.add_argument("--out", type=Path, help="write the recomputed results.csv into DIR")
    args = parser.parse_args(argv)
    try:
        data = args.bundle.read_bytes()
    except OSError as error:
        parser.error(f"cannot read {args.bundle}: {error.strerror}")
    report = check_bundle(data)
    for line in describe(report, args.bundle.name):
        print(line)  # noqa: T201 (a command-line tool's output)
    if args.out is not None and report.results is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / RESULTS).write_bytes(encode_csv(report.results))
        print(f"wrote {args.out / RESULTS}")  # noqa: T201
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
