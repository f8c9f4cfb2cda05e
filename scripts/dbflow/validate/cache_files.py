"""Where the validator keeps what it learnt, and its fastest path: the last report, given
again when nothing it depends on changed (no rule and no parser is loaded for it). The
model cache beside it (:mod:`dbflow.validate.cache`) serves runs where something changed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

import orjson

from dbflow import __version__
from dbflow.validate.findings import Finding, ValidationReport

CACHE_FILE = "validate.json"  # the model cache
REPORT_FILE = "validate-report.json"  # the last report, beside it
REPORT_FORMAT = 3  # 2: secrets in findings masked; 3: fixes


def json_bytes(document: object) -> bytes:
    """``document`` as compact JSON: orjson, or json where orjson refuses a value (a file name
    that is not UTF-8 holds surrogates, which json escapes)."""
    try:
        return orjson.dumps(document)
    except TypeError:
        return json.dumps(document, separators=(",", ":")).encode("ascii")


def report_key(
    config_repr: str,
    files: list[tuple[str, str]],
    reported: list[str],
    baseline: set[str] | None,
) -> str:
    """What a report depends on: dbflow's version and settings, every file's name and content,
    which files are reported, and the baseline."""
    digest = hashlib.sha256(f"{REPORT_FORMAT}|{__version__}|{config_repr}".encode())
    for display, sha in files:
        digest.update(f"|{display}|{sha}".encode())
    digest.update(("\n".join(reported) + "\n" + "\n".join(sorted(baseline or ()))).encode())
    return digest.hexdigest()


def load_report(cache_path: Path | None, key: str) -> ValidationReport | None:
    """The last report, when it was made for ``key``; None otherwise (or when unreadable)."""
    if cache_path is None:
        return None
    try:
        document = json.loads(cache_path.with_name(REPORT_FILE).read_text(encoding="utf-8"))
        if document.get("key") != key:
            return None
        findings = [Finding(*row) for row in document["findings"]]
        report = ValidationReport(findings, int(document["files"]), int(document["statements"]))
        report.fixes = {int(index): dict(fix) for index, fix in document["fixes"].items()}
        return report
    except (OSError, ValueError, TypeError, KeyError):
        return None


def save_report(
    cache_path: Path | None, key: str, report: ValidationReport, *, make_folder: bool = True
) -> None:
    if cache_path is None:
        return
    rows = [dataclasses.astuple(finding) for finding in report.findings]
    document = {"key": key, "files": report.files, "statements": report.statements}
    document["findings"] = rows
    document["fixes"] = {str(index): fix for index, fix in report.fixes.items()}
    keep_file(cache_path.with_name(REPORT_FILE), json_bytes(document), make_folder=make_folder)


def keep_file(path: Path, data: bytes, *, make_folder: bool = True) -> None:
    """Write a cache file whole or not at all (a partial file of this process's own, renamed
    over it); one that cannot be written only costs the next run speed. A write done after
    the run (``make_folder`` False) does not bring back a folder removed meanwhile."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}.partial")
    try:
        if make_folder:
            path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(data)
        temporary.replace(path)
    except OSError:
        temporary.unlink(missing_ok=True)
