"""Does confidence mean something? Compare every scored value's confidence with whether it is right.

    python benchmarks/calibration.py [--gold DIR] [--pdf-dir DIR]

Uses the hand-checked gold labels (default ../shared/corpus/gold with ../shared/corpus/pdf). Prints, for the
review threshold, how many wrong values fall below it (caught by the review queue) and how many right values
fall below it (reviewer time spent on values that were fine), plus the confidence distribution per field.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from imrdesk.extract import REVIEW_THRESHOLD, extract  # noqa: E402
from imrdesk.extract.letter import HEADER_FIELDS  # noqa: E402


def norm(value: object) -> str:
    text = re.sub(r"\s+", " ", str(value or "")).strip().casefold().rstrip(" .:;,")
    return text[:-3] if text.endswith(" is") else text


def main() -> int:
    shared = ROOT.parent / "shared" / "corpus"
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gold", default=str(shared / "gold"))
    ap.add_argument("--pdf-dir", default=str(shared / "pdf"))
    ap.add_argument(
        "--as-text",
        action="store_true",
        help="extract each letter from a flattened text copy (no geometry, no fonts): the fallback paths",
    )
    args = ap.parse_args()
    rows: list[tuple[str, float, bool]] = []  # field, confidence, right
    for gold_path in sorted(Path(args.gold).glob("*.json")):
        gold = json.loads(gold_path.read_text())
        pdf_path = Path(args.pdf_dir) / f"{gold_path.stem}.pdf"
        if args.as_text:
            import pdfplumber

            with pdfplumber.open(pdf_path) as pdf:
                text = "\n".join(page.extract_text() or "" for page in pdf.pages)
            rec = extract(text.encode(), name=f"{gold_path.stem}.txt")
        else:
            rec = extract(pdf_path)
        prov = rec["provenance"]

        def add(field: str, path: str, right: bool, prov: dict = prov) -> None:
            conf = prov.get(path, {}).get("confidence", 0.0)
            rows.append((field, conf, right))

        for key in HEADER_FIELDS:
            add(key, key, norm(rec[key]) == norm(gold[key]))
        for key in ("licensure_states", "specialties"):
            add(f"reviewer.{key}", f"reviewer.{key}", rec["reviewer"][key] == gold["reviewer"][key])
        for key in ("age", "sex"):
            add(f"patient.{key}", f"patient.{key}", rec["patient"][key] == gold["patient"][key])
        for n, want in enumerate(gold["items"]):
            got = rec["items"][n] if n < len(rec["items"]) else {}
            add(
                "items.treatment",
                f"items[{n}].treatment",
                norm(got.get("treatment")) == norm(want["treatment"]),
            )
            add("items.decision", f"items[{n}].decision", got.get("decision") == want["decision"])
            for side in ("claims_administrator_sources", "maximus_sources"):
                add(f"items.{side}", f"items[{n}].{side}", sorted(got.get(side) or []) == sorted(want[side]))
    wrong = [r for r in rows if not r[2]]
    right = [r for r in rows if r[2]]
    caught = sum(1 for r in wrong if r[1] < REVIEW_THRESHOLD)
    false_alarms = sum(1 for r in right if r[1] < REVIEW_THRESHOLD)
    print(f"review threshold {REVIEW_THRESHOLD}: {len(rows)} scored values, {len(wrong)} wrong")
    print(f"  wrong values below the threshold (caught by review): {caught}/{len(wrong)}")
    print(f"  right values below the threshold (needless review):  {false_alarms}/{len(right)}")
    by_field: dict[str, list[float]] = defaultdict(list)
    for field, conf, _ok in rows:
        by_field[field].append(conf)
    print(f"\n{'field':38} {'n':>4} {'min conf':>9} {'mean conf':>10} {'wrong':>6}")
    for field, confs in by_field.items():
        n_wrong = sum(1 for f, _, ok in rows if f == field and not ok)
        print(f"{field:38} {len(confs):4d} {min(confs):9.2f} {sum(confs) / len(confs):10.2f} {n_wrong:6d}")
    for field, conf, _ in wrong:
        print(f"  WRONG {field} confidence {conf:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
