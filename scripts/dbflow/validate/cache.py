"""A cache on disk so a second run only lints what changed.

Keyed by content: each file's parse (by the SHA-256 of its bytes), and each file's statement
findings by a *prefix key* that hashes the configuration and every file up to and including
it (the model a file is judged against depends on all earlier files). The model after the
last file is kept too, so appending a migration replays only the new file.

The cache lives in the project's data directory (``.dbflow/cache/``); deleting it is safe.
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass, field
from pathlib import Path

from dbflow import __version__
from dbflow.validate.model import SchemaModel

_FORMAT = 1

CachedHit = tuple[str, str | None, int, int, str]  # rule id, message, line, column, statement
Span = tuple[int, int, str]  # a statement's first line, last line and text


@dataclass(frozen=True)
class FileSummary:
    """What later runs need of a file they do not re-parse."""

    file_hits: list[CachedHit]  # findings of the file-scope rules that look at this file only
    spans: list[Span]


@dataclass
class ValidationCache:
    fingerprint: str
    summaries: dict[str, FileSummary] = field(default_factory=dict)  # "name|sha" -> summary
    findings: dict[str, tuple[int, list[CachedHit]]] = field(default_factory=dict)
    model_key: str | None = None
    model_blob: bytes | None = None
    changed: bool = False

    def prefix_keys(self, entries: list[tuple[str, str]]) -> list[str]:
        """One key per file: hash of the fingerprint and every (name, content sha) so far."""
        keys = []
        running = hashlib.sha256(self.fingerprint.encode())
        for display, content in entries:
            running.update(f"|{display}|{content}".encode())
            keys.append(running.hexdigest())
        return keys

    def resume_point(self, keys: list[str], summary_keys: list[str]) -> int:
        """Index of the last file whose findings and model can be reused (-1: none)."""
        if self.model_key is None or self.model_blob is None or self.model_key not in keys:
            return -1
        last = keys.index(self.model_key)
        reusable = all(key in self.findings for key in keys[: last + 1]) and all(
            key in self.summaries for key in summary_keys[: last + 1]
        )
        return last if reusable else -1

    def model(self) -> SchemaModel:
        assert self.model_blob is not None
        model: SchemaModel = pickle.loads(self.model_blob)
        return model


def cache_fingerprint(config_repr: str) -> str:
    return f"{_FORMAT}|{__version__}|{config_repr}"


def load_cache(path: Path | None, fingerprint: str) -> ValidationCache:
    if path is None or not path.is_file():
        return ValidationCache(fingerprint)
    try:
        with path.open("rb") as handle:
            cached = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return ValidationCache(fingerprint)
    if not isinstance(cached, ValidationCache) or cached.fingerprint != fingerprint:
        return ValidationCache(fingerprint)
    cached.changed = False
    return cached


def save_cache(path: Path | None, cache: ValidationCache) -> None:
    if path is None or not cache.changed:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        with temporary.open("wb") as handle:
            pickle.dump(cache, handle, protocol=pickle.HIGHEST_PROTOCOL)
        temporary.replace(path)
    except OSError:
        return  # a cache that cannot be written only costs speed
