"""Do the text parsers stay linear on long input? Time each one on a real paragraph repeated 1, 10 and 100 times.

    python benchmarks/parsers_scaling.py [--repeat N]

Anchor: one pass of a word regex over the same text, timed in the same run. For each parser and size it prints
the best of N runs in milliseconds and its ratio to the anchor; a ratio that grows with the size (rather than
staying roughly flat) is work that grows faster than the text — a letter built to make a parser crawl.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from imrdesk.extract import load  # noqa: E402
from imrdesk.extract.citations import read_guideline  # noqa: E402
from imrdesk.extract.diagnoses import find_diagnoses  # noqa: E402
from imrdesk.extract.generic import read_unknown  # noqa: E402
from imrdesk.extract.injury import find_mechanism, find_treatment  # noqa: E402

GUIDELINE = (
    "Decision based on MTUS Shoulder Complaints 2004, Section(s): Initial Care, and Forearm, Wrist, and Hand "
    "Complaints 2004. Decision based on Non-MTUS Citation Official Disability Guidelines (ODG), Shoulder (updated "
    "12/12/16), Physical therapy, ODG Elbow (updated 11/23/16), Physical therapy; ODG Forearm, Wrist and Hand. "
)
SUMMARY = (
    "The injured worker is a 48 year old female who sustained an industrial injury on 11-7-16 after she slipped "
    "and fell. Diagnoses include cervical sprain and strain, bilateral shoulder strain and sprain with "
    "impingement, and bilateral wrist strain. Treatment to date has included topical analgesic, chiropractic, "
    "massage and other modalities. "
)
LETTER = (
    "INDEPENDENT MEDICAL REVIEW\nCase Number: CM18-0012345\nRequested treatment: MRI of the left knee\n"
    "Decision: Upheld\nReason: The request for MRI of the left knee is not medically necessary.\n"
)


def best(fn, arg, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(arg)
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    words = re.compile(r"\w+")
    cases = [
        ("read_guideline", read_guideline, GUIDELINE),
        ("find_diagnoses", find_diagnoses, SUMMARY),
        ("find_treatment", find_treatment, SUMMARY),
        ("find_mechanism", find_mechanism, SUMMARY),
        ("read_unknown", lambda text: read_unknown(load(text.encode(), "letter.txt")), LETTER),
    ]
    print(f"{'parser':16} {'size':>6} {'chars':>9} {'ms':>9} {'anchor ms':>10} {'ratio':>8}")
    for name, fn, unit in cases:
        for times in (1, 10, 100):
            text = unit * times
            anchor = best(lambda t: len(words.findall(t)), text, args.repeat)
            ms = best(fn, text, args.repeat)
            print(
                f"{name:16} {times:>5}x {len(text):>9} {ms:9.2f} {anchor:10.3f} {ms / max(anchor, 1e-6):8.0f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
