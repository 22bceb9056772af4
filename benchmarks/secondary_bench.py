"""Secondary fields against hand labels: are they right, and does every wrong one reach the review queue?

    python benchmarks/secondary_bench.py [--labels DIR] [--pdf-dir DIR] [--show N] [--as-text] [--reworded]

Extracts every letter that has a hand label (``tests/fixtures/labels-secondary/CASE.json``, labelled from the
letter as ``../shared/labels-secondary.md`` describes) and runs the shared scorers on the records:
``score_secondary.py`` (mechanism, diagnoses, treatment to date, citations) and ``queue_escapes.py`` (wrong or
missed values the review queue would not show, and the share of values sent to review).

The labelled letters are split in two: a tuning set, and a held-out set (every fourth case in case-number
order) that the extractor was not tuned on — the same figures on both show whether the rules generalise.
``--as-text`` reads flattened text copies of the PDFs (no geometry, no fonts: the fallback paths);
``--reworded`` also reads each letter with its summary's and guidelines' wording changed (labels still hold,
since the values themselves are untouched), the way letters you have not seen differ from these.
Targets: mechanism and treatment to date >= 97% right, diagnoses F1 >= 0.97, citations precision and recall
>= 0.97, no wrong value outside the review queue, <= 15% of values sent to review.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from imrdesk.extract import REVIEW_THRESHOLD, extract  # noqa: E402

SHARED = ROOT.parent / "shared"

# Rewordings a letter of another month or writer might use, two per phrasing (``--reworded`` reads each letter
# once with the first and once with the second); each keeps the value it introduces unchanged.
REWORDINGS = [
    (
        r"\bTreatment to date has included\b",
        "Prior treatment has consisted of",
        "To date, treatment has included",
    ),
    (r"\bTreatment to date includes\b", "Treatments to date have included", "Treatment so far has included"),
    (r"\bTreatment has included\b", "Treatment to date consisted of", "Previous treatment has included"),
    (r"\bTreatments to date include\b", "Treatment to date has included", "Prior treatments included"),
    (
        r"\bPast treatments? (?:were noted to )?include[sd]?\b",
        "Previous treatment included",
        "Prior treatment was noted to include",
    ),
    (
        r"\bPrior (?:relevant )?treatments? (?:has )?included\b",
        "Treatment to date was noted to include",
        "Past treatment has included",
    ),
    (r"\bThe prior treatment included\b", "Previous treatment has included", "Treatment to date included"),
    (
        r"\bThe treatment to date includes\b",
        "Treatment to date included",
        "The treatment thus far has included",
    ),
    (
        r"\bTreatment rendered included\b",
        "Treatments rendered have included",
        "Treatment to date has included",
    ),
    (
        r"\bThe treatment and diagnostic testing to date has included:",
        "Treatment to date has included:",
        "Treatment and testing to date have included:",
    ),
    (
        r"\bTreatment and (?:evaluation|diagnostic studies|diagnostics) to date ha(?:s|ve) included\b",
        "Treatments and evaluations to date have included",
        "Treatment and diagnostic testing to date has included",
    ),
    (
        r"\bThe current diagnos(?:is|es) (?:is|are) documented as\b",
        "The diagnoses are noted to include",
        "The current diagnoses include",
    ),
    (r"\bThe current diagnosis is\b", "The diagnosis is", "The working diagnosis is"),
    (r"\bDiagnoses include\b", "The diagnoses included", "Diagnoses were noted to include"),
    (r"\bDiagnoses included\b", "Diagnoses were", "The diagnoses include"),
    (r"\bis undergoing treatment for\b", "is being treated for", "is currently being treated for"),
    (r"\bwas being treated for the diagnoses of\b", "was diagnosed with", "has diagnoses of"),
    (r"\b(?:was )?diagnosed as having\b", "was diagnosed with", "has been diagnosed with"),
    (r"\bhas diagnosis that include\b", "has diagnoses that include", "has a diagnosis of"),
    (
        r"\bThe mechanism of injury is detailed as\b",
        "The mechanism of injury was described as",
        "Mechanism of injury is noted as",
    ),
    (
        r"\bMechanism of injury occurred when\b",
        "The injury occurred when",
        "The mechanism of injury occurred when",
    ),
    (r"\bMechanism of injury:", "Mechanism of injury was", "The mechanism of injury was reported as"),
    (
        r"\bDecision based on Non-MTUS Citation\b",
        "Decision based on Non-MTUS Citation:",
        "Decision based on Non-MTUS",
    ),
    (r"\bOfficial Disability Guidelines \(ODG\),", "ODG,", "Official Disability Guidelines,"),
    (r": Upheld\b", ": UPHELD", ": Upheld (Not Medically Necessary)"),
    (r": Overturned\b", ": OVERTURNED", ": Overturned (Medically Necessary)"),
    (
        r"\bwas authorized by the Claims Administrator\b",
        "was certified by the Claims Administrator",
        "was approved by the Claims Administrator",
    ),
    (
        r"\bThe remaining IMR eligible portion of the original request\b",
        "The portion eligible for IMR",
        "The remaining portion eligible for IMR",
    ),
]


def reword(text: str, alternative: int) -> tuple[str, int]:
    """Apply each rewording (its first or second alternative) wherever it occurs; returns the text and
    how many phrasings changed."""
    changed = 0
    for pattern, *replacements in REWORDINGS:
        text, n = re.subn(pattern, replacements[alternative], text)
        changed += n
    return text, changed


def flat_text(path: Path) -> str:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def records(cases: list[str], pdf_dir: Path, variant: str) -> tuple[list[dict], int]:
    out, changed = [], 0
    for case in cases:
        path = pdf_dir / f"{case}.pdf"
        if variant == "pdf":
            rec = extract(path)
        else:
            text = flat_text(path)
            if variant.startswith("reworded"):
                text, n = reword(text, int(variant[-1]) - 1)
                changed += n
            rec = extract(text.encode(), name=f"{case}.txt")
        out.append(rec)
    return out, changed


def score(label_dir: Path, recs: list[dict], show: int) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        gold = Path(tmp) / "gold"
        gold.mkdir()
        for rec in recs:
            src = label_dir / f"{rec['case_number'] or Path(rec['file']).stem}.json"
            if src.is_file():
                (gold / src.name).write_text(src.read_text())
        pred = Path(tmp) / "pred.jsonl"
        pred.write_text("".join(json.dumps(r) + "\n" for r in recs))
        tools = SHARED / "tools"
        args = ["--gold", str(gold), "--pred", str(pred)]
        first = subprocess.run(
            [sys.executable, str(tools / "score_secondary.py"), *args, "--show", str(show)],
            capture_output=True,
            text=True,
        )
        second = subprocess.run(
            [sys.executable, str(tools / "queue_escapes.py"), *args, "--threshold", str(REVIEW_THRESHOLD)],
            capture_output=True,
            text=True,
        )
    return first.stdout + first.stderr + second.stdout + second.stderr


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--labels", default=str(ROOT / "tests" / "fixtures" / "labels-secondary"))
    ap.add_argument("--pdf-dir", default=str(SHARED / "corpus" / "pdf"))
    ap.add_argument("--show", type=int, default=0, help="print up to N mismatches per field")
    ap.add_argument("--as-text", action="store_true", help="also score flattened text copies")
    ap.add_argument("--reworded", action="store_true", help="also score text copies with wording changed")
    args = ap.parse_args()
    label_dir, pdf_dir = Path(args.labels), Path(args.pdf_dir)
    if not (SHARED / "tools" / "score_secondary.py").is_file():
        print("the shared scorers (../shared/tools) are not beside the project", file=sys.stderr)
        return 2
    cases = sorted(p.stem for p in label_dir.glob("*.json") if (pdf_dir / f"{p.stem}.pdf").is_file())
    if not cases:
        print(f"no labelled letters with a PDF in {pdf_dir}", file=sys.stderr)
        return 2
    held_out = cases[3::4]
    tuning = [c for c in cases if c not in held_out]
    variants = (
        ["pdf"] + (["text"] if args.as_text else []) + (["reworded 1", "reworded 2"] if args.reworded else [])
    )
    for variant in variants:
        start = time.perf_counter()
        recs, changed = records(cases, pdf_dir, variant)
        seconds = time.perf_counter() - start
        by_case = {c: r for c, r in zip(cases, recs, strict=True)}
        note = f", {changed} phrasings changed" if variant.startswith("reworded") else ""
        print(f"\n######## {variant}: {len(cases)} labelled letters read in {seconds:.1f} s{note}")
        for name, subset in (("tuning", tuning), ("held out", held_out), ("all", cases)):
            print(f"\n=== {name} ({len(subset)} letters)")
            print(score(label_dir, [by_case[c] for c in subset], args.show if name != "all" else 0).rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
