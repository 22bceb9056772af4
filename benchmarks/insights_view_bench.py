"""How long the insights take to count and draw, on the shared corpus and on a larger database.

    python benchmarks/insights_view_bench.py [--letters 3000]

Builds a database of the shared corpus (or the bundled samples) and a larger one of the same letters stored
again with distinct bytes (flagged as repeated case numbers), then times, best of 3: ``insights.compute`` (what the window's worker thread
does), building every chart's Figure, and drawing one chart with Agg (what the canvas does).
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from imrdesk.extract import extract  # noqa: E402
from imrdesk.services.charts import CHARTS, figure, png_bytes  # noqa: E402
from imrdesk.services.insights import compute  # noqa: E402
from imrdesk.store import Store  # noqa: E402


def letters() -> list[Path]:
    corpus = ROOT.parent / "shared" / "corpus" / "pdf"
    found = sorted(corpus.glob("*.pdf")) if corpus.is_dir() else []
    return found or sorted((ROOT / "resources" / "samples").glob("*.pdf"))


def build(db: Path, sources: list[tuple[dict, bytes]], n: int) -> None:
    with Store(db) as store:
        for i in range(n):
            rec, data = sources[i % len(sources)]
            rec = copy.deepcopy(rec)
            rec["sha256"] = None
            store.add_record(rec, data + f"\n% copy {i}\n".encode())


def best(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--letters", type=int, default=3000, help="size of the larger database")
    args = ap.parse_args()
    paths = letters()
    sources = [(extract(p), p.read_bytes()) for p in paths]
    with tempfile.TemporaryDirectory() as tmp:
        for n in (len(sources), args.letters):
            db = Path(tmp) / f"insights-{n}.db"
            t = time.perf_counter()
            build(db, sources, n)
            built = time.perf_counter() - t
            with Store(db) as store:
                ins = compute(store)
                t_compute = best(lambda store=store: compute(store))
                part = compute(store, date_from="2017-02")
                t_filtered = best(lambda store=store: compute(store, date_from="2017-02"))
            t_figures = best(lambda ins=ins: [figure(ins, name) for name in CHARTS])
            t_draw = best(lambda ins=ins: png_bytes(figure(ins, "by_category"), dpi=100))
            print(
                f"{n:6d} letters ({ins.overall['items']} items, built in {built:.1f} s): "
                f"compute {t_compute * 1000:7.1f} ms, filtered to {part.overall['letters']} letters "
                f"{t_filtered * 1000:7.1f} ms, "
                f"{len(CHARTS)} figures {t_figures * 1000:6.1f} ms, draw one {t_draw * 1000:6.1f} ms"
            )


if __name__ == "__main__":
    main()
