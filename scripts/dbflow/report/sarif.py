"""SARIF 2.1.0 logs (GitHub code scanning, editors): the one writer the validator and the
advisors use."""

from __future__ import annotations

import json

from dbflow import __version__

LEVELS = {  # each check's severities as SARIF's levels
    "error": "error", "warning": "warning", "info": "note",
    "ERROR": "error", "WARN": "warning", "INFO": "note",
}  # fmt: skip


def sarif_log(tool: str, rules: list[dict[str, object]], results: list[dict[str, object]]) -> str:
    """A SARIF 2.1.0 log of one run of ``tool``."""
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": tool,
                        "version": __version__,
                        "informationUri": "https://pypi.org/project/dbflow/",
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2)
