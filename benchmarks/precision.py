"""db.validate's precision on real code: every warning and error it reports over the corpus
of real Supabase projects (../shared/corpus), compared with a judgement checked in beside
this script (benchmarks/precision/judgements.tsv): TP (true and worth reading), FP (the
claim is wrong for that code) or NOISE (true, not worth anyone's time), each with a reason.

Prints the false-positive and noise rates per rule and overall. A finding with no
judgement fails the run (exit 1) until someone reads the code and judges it; --unjudged
FILE writes those findings, with their statements, for that.

    python benchmarks/precision.py [--corpus DIR] [--unjudged FILE] [--prune]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from dbflow.validate.config import ValidateConfig
from dbflow.validate.findings import Finding
from dbflow.validate.options import Options
from dbflow.validate.pipeline import validate_files
from dbflow.validate.run import history_files

REPO = Path(__file__).resolve().parents[1]
JUDGEMENTS = Path(__file__).resolve().parent / "precision" / "judgements.tsv"
FIELDS = ("key", "verdict", "rule", "project", "file", "line", "reason")
VERDICTS = ("TP", "FP", "NOISE")


@dataclass(frozen=True)
class Judged:
    project: str
    finding: Finding
    key: str


def finding_key(project: str, finding: Finding) -> str:
    """Stable across line moves: project, rule, file name, statement text and message."""
    statement = " ".join(finding.statement.split())
    file = Path(finding.path).name
    text = f"{project}|{finding.rule_id}|{file}|{statement}|{finding.message}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def corpus_findings(corpus: Path) -> list[Judged]:
    """Every warning and error over every project of the corpus, as a user's run reports."""
    found = []
    for project in sorted(path for path in corpus.iterdir() if (path / "migrations").is_dir()):
        files = history_files(project / "migrations")
        report = validate_files(files, ValidateConfig(Options()), root=project)
        for finding in report.findings:
            if finding.severity in ("error", "warning"):
                found.append(Judged(project.name, finding, finding_key(project.name, finding)))
    return found


def load_judgements(path: Path = JUDGEMENTS) -> dict[str, dict[str, str]]:
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    for row in rows:
        if row["verdict"] not in VERDICTS:
            raise SystemExit(f"{path}: {row['key']}: verdict must be one of {', '.join(VERDICTS)}")
    return {row["key"]: row for row in rows}


def write_rows(path: Path, rows: list[dict[str, str]], fields: tuple[str, ...]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def rates(findings: list[Judged], judgements: dict[str, dict[str, str]]) -> dict[str, Counter[str]]:
    """Per rule (and "all"): how many findings of each verdict ("unjudged" for none)."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for item in findings:
        verdict = judgements.get(item.key, {}).get("verdict", "unjudged")
        counts[item.finding.rule_id][verdict] += 1
        counts["all"][verdict] += 1
    return counts


def render(counts: dict[str, Counter[str]]) -> str:
    lines = [
        f"{'rule':6} {'findings':>8} {'TP':>6} {'FP':>6} {'NOISE':>6} {'FP %':>6} {'noise %':>8}"
    ]
    for rule in sorted(counts, key=lambda name: (name == "all", name)):
        count = counts[rule]
        total = sum(count.values())
        fp, noise = count["FP"], count["NOISE"]
        lines.append(
            f"{rule:6} {total:8} {count['TP']:6} {fp:6} {noise:6} {100 * fp / total:6.1f} "
            f"{100 * noise / total:8.1f}"
            + (f"   {count['unjudged']} unjudged" if count["unjudged"] else "")
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--unjudged", type=Path, help="write the unjudged findings here")
    parser.add_argument("--prune", action="store_true", help="drop judgements of no finding")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"no corpus at {args.corpus}: nothing to measure (pass --corpus DIR)")
        return
    findings = corpus_findings(args.corpus)
    judgements = load_judgements()
    print(f"{len(findings)} warnings and errors over {args.corpus.name}/")
    print(render(rates(findings, judgements)))
    missing = [item for item in findings if item.key not in judgements]
    if args.prune:
        keys = {item.key for item in findings}
        kept = [row for key, row in sorted(judgements.items()) if key in keys]
        write_rows(JUDGEMENTS, kept, FIELDS)
        print(f"kept {len(kept)} of {len(judgements)} judgements")
    if args.unjudged is not None:
        rows = {
            item.key: {
                "key": item.key, "rule": item.finding.rule_id, "project": item.project,
                "file": Path(item.finding.path).name, "line": str(item.finding.line),
                "message": item.finding.message,
                "statement": " ".join(item.finding.statement.split())[:600],
            }
            for item in missing
        }  # fmt: skip
        fields = ("key", "rule", "project", "file", "line", "message", "statement")
        write_rows(args.unjudged, list(rows.values()), fields)
        print(f"wrote {len(rows)} unjudged findings to {args.unjudged}")
    if missing:
        print(f"{len(missing)} findings have no judgement: judge them in {JUDGEMENTS.name}")
        sys.exit(1)


if __name__ == "__main__":
    main()
