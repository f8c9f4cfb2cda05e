"""A cache on disk so a second run only lints what changed.

Keyed by content: each file's parse (by the SHA-256 of its bytes), and each file's statement
findings by a *prefix key* that hashes the configuration and every file up to and including
it (the model a file is judged against depends on all earlier files). The model after the
last file is kept too, so appending a migration replays only the new file.

The cache lives in the project's data directory (``.dbflow/cache/validate.json``); deleting
it is safe. It is plain JSON, read back into a fixed set of types only: a cache file shipped
in a pull request can make a run slower or its findings wrong for one run at most (a file
that does not load, or was made by other settings, is ignored with a note), never run code.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dbflow import __version__
from dbflow.validate import declared as model_types
from dbflow.validate.cache_files import json_bytes, keep_file
from dbflow.validate.declared import DeclaredSchema, Location

_FORMAT = 10  # 5: a dataclass is written as its values in field order; 6: aggregates declared;
# 7: secrets in findings masked; 8: rows the migrations insert, dependents, columns' origin;
# 9: spans without their text; 10: short tags, a place without its file's name

Subject = tuple[str, ...]
# rule id, message, line, column, statement, the object it is about, a milder severity
CachedHit = tuple[str, str | None, int, int, str, Subject | None, str | None]
# A statement's first line, last line, and where its text is in its file (character offset
# and length): the text itself is the file's, which every run reads anyway.
Span = tuple[int, int, int, int]


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
    model_state: DeclaredSchema | None = None  # the model after the file ``model_key`` ends with
    changed: bool = False
    notes: list[str] = field(default_factory=list)

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
        if self.model_key is None or self.model_state is None or self.model_key not in keys:
            return -1
        last = keys.index(self.model_key)
        reusable = all(key in self.findings for key in keys[: last + 1]) and all(
            key in self.summaries for key in summary_keys[: last + 1]
        )
        return last if reusable else -1

    def model(self) -> DeclaredSchema:
        assert self.model_state is not None
        return self.model_state

    def keep_model(self, key: str, model: DeclaredSchema) -> None:
        self.model_key, self.model_state = key, model


def cache_fingerprint(config_repr: str) -> str:
    return f"{_FORMAT}|{__version__}|{config_repr}"


def load_cache(path: Path | None, fingerprint: str, displays: list[str]) -> ValidationCache:
    """The cache at ``path`` if it loads and matches ``fingerprint``; else an empty one, with a
    note saying why the file was ignored. ``displays``: the run's files as shown, by index
    (a place in the cached model names its file by index)."""
    fresh = ValidationCache(fingerprint)
    if path is None or not path.is_file():
        return fresh
    try:
        revive = _reviver(displays)
        document = json.loads(path.read_text(encoding="utf-8"), object_hook=revive)
        if not isinstance(document, dict) or document.get("fingerprint") != fingerprint:
            fresh.notes.append(
                f"ignored the validator cache {path}: it was made by another version of dbflow "
                "or other settings; it is rebuilt"
            )
            return fresh
        cache = ValidationCache(
            fingerprint,
            summaries={
                key: FileSummary(
                    [_hit(item) for item in value["file_hits"]],
                    [(int(a), int(b), int(c), int(d)) for a, b, c, d in value["spans"]],
                )
                for key, value in document["summaries"].items()
            },
            findings={
                key: (int(count), [_hit(item) for item in hits])
                for key, (count, hits) in document["findings"].items()
            },
            model_key=document.get("model_key"),
            model_state=document.get("model"),
        )
        if cache.model_state is not None and not isinstance(cache.model_state, DeclaredSchema):
            raise TypeError("the cached model is not a schema model")
    except (
        OSError,
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        AttributeError,
        RecursionError,
    ) as exc:
        fresh.notes.append(
            f"ignored the validator cache {path}: it could not be read "
            f"({type(exc).__name__}); it is rebuilt"
        )
        return fresh
    return cache


def save_cache(path: Path | None, cache: ValidationCache, *, make_folder: bool = True) -> None:
    if path is None or not cache.changed:
        return
    document = {
        "fingerprint": cache.fingerprint,
        "summaries": {
            key: {"file_hits": summary.file_hits, "spans": summary.spans}
            for key, summary in cache.summaries.items()
        },
        "findings": {key: [count, hits] for key, (count, hits) in cache.findings.items()},
        "model_key": cache.model_key,
        "model": _encode(cache.model_state) if cache.model_state is not None else None,
    }
    keep_file(path, json_bytes(document), make_folder=make_folder)


def _hit(item: Any) -> CachedHit:
    rule_id, message, line, column, statement, subject, severity = item
    if not isinstance(rule_id, str) or not isinstance(statement, str):
        raise TypeError("a cached finding is malformed")
    about = None if subject is None else tuple(str(part) for part in subject)
    text = None if message is None else str(message)
    milder = None if severity is None else str(severity)
    return (rule_id, text, int(line), int(column), statement, about, milder)


# The model's own dataclasses: the only types a cached model is rebuilt from.
_MODEL_TYPES: dict[str, type[Any]] = {
    name: value
    for name, value in vars(model_types).items()
    if isinstance(value, type)
    and dataclasses.is_dataclass(value)
    and value.__module__ == model_types.__name__
}


_FIELD_NAMES: dict[type[Any], tuple[str, ...]] = {
    kind: tuple(item.name for item in dataclasses.fields(kind)) for kind in _MODEL_TYPES.values()
}
_PLAIN = (str, int, float, bool, type(None))


def _encode(value: Any) -> Any:
    """A JSON-able form of the model: tuples, sets, dicts (their keys may be tuples) and the
    model's dataclasses are tagged so that :func:`_reviver`'s hook can rebuild them exactly.
    Tags are short and a place (Location) is its file's index, line and column: the cache is
    read on every run that appends a migration, and its size is most of that read."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is tuple:
        return {"$t": [_encode(item) for item in value]}
    if kind is Location:
        return {"$L": [value.file_index, value.line, value.column]}
    names = _FIELD_NAMES.get(kind)
    if names is not None:  # a dataclass of the model: its fields in declaration order
        return {"$T": kind.__name__, "v": [_encode(getattr(value, name)) for name in names]}
    if kind is dict:
        return {"$d": [[_encode(key), _encode(item)] for key, item in value.items()]}
    if kind is list:
        return [_encode(item) for item in value]
    if kind is set or kind is frozenset:
        return {"$s": [_encode(item) for item in value]}
    raise TypeError(f"cannot cache a {kind.__name__}")


def _reviver(displays: list[str]) -> Callable[[dict[str, Any]], Any]:
    """json's object hook: rebuild the tagged values :func:`_encode` wrote, innermost first.
    Only tuples, sets, dicts, places and the model's own dataclasses come back; any other
    type name is an error."""

    def revive(value: dict[str, Any]) -> Any:
        if "$t" in value:
            return tuple(value["$t"])
        if "$L" in value:
            file_index, line, column = value["$L"]
            return Location(int(file_index), displays[file_index], int(line), int(column))
        if "$T" in value:
            kind = _MODEL_TYPES.get(value["$T"])
            if kind is None:
                raise TypeError("unknown type in the cache")
            return kind(*value["v"])
        if "$d" in value:
            return {key: item for key, item in value["$d"]}
        if "$s" in value:
            return set(value["$s"])
        return value

    return revive
