"""Checks of a real frozen build, run by .ci/run after scripts/build_linux.sh:

    IMRDESK_FROZEN_DIR=dist/imrdesk python -m pytest tests/test_packaging_frozen.py

Skipped unless IMRDESK_FROZEN_DIR names the one-folder build (so a stale dist/ never feeds a normal run).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import imrdesk

ROOT = Path(__file__).resolve().parents[1]
FROZEN = os.environ.get("IMRDESK_FROZEN_DIR")
pytestmark = pytest.mark.skipif(not FROZEN, reason="set IMRDESK_FROZEN_DIR to a frozen build to check it")

CORPUS_LETTER = ROOT.parent / "shared" / "corpus" / "pdf" / "CM16-0234202.pdf"  # AES-encrypted, real
SAMPLE_LETTER = ROOT / "resources" / "samples" / "CM16-0234202.pdf"


@pytest.fixture(scope="module")
def dist() -> Path:
    path = Path(FROZEN).resolve()
    assert path.is_dir(), f"{path} is not a build folder"
    return path


def _exe(dist: Path, name: str) -> Path:
    for candidate in (dist / name, dist / f"{name}.exe"):
        if candidate.is_file():
            return candidate
    raise AssertionError(f"{name} not in {dist}")


def _run(cmd: list, **kwargs) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, timeout=120, env=env, **kwargs
    )


def _letter() -> Path:
    letter = CORPUS_LETTER if CORPUS_LETTER.is_file() else SAMPLE_LETTER
    if not letter.is_file():
        pytest.skip("no encrypted letter (../shared/corpus or resources/samples)")
    return letter


def test_both_executables_share_one_folder(dist):
    gui, cli = _exe(dist, "imrdesk"), _exe(dist, "imrdesk-cli")
    assert gui.parent == cli.parent == dist
    assert (dist / "_internal").is_dir()


def test_version(dist):
    for name in ("imrdesk-cli", "imrdesk"):
        proc = _run([_exe(dist, name), "--version"])
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == f"imrdesk {imrdesk.__version__}"


def test_extract_json_matches_source(dist, tmp_path):
    letter = _letter()
    frozen = _run([_exe(dist, "imrdesk-cli"), "extract", "--json", letter], cwd=tmp_path)
    source = _run([sys.executable, ROOT / "main.py", "extract", "--json", letter], cwd=tmp_path)
    assert frozen.returncode == 0 and source.returncode == 0, frozen.stderr + source.stderr
    got = [json.loads(line) for line in frozen.stdout.splitlines()]
    want = [json.loads(line) for line in source.stdout.splitlines()]
    assert got == want
    assert got[0]["error"] is None and got[0]["case_number"] and got[0]["items"]


def test_extract_json_reads_a_scan_as_the_source_does(dist, tmp_path):
    """A fax-like scan through the frozen OCR, whose build leaves OpenCV out (imrdesk.extract.cv2_lite
    stands in for it there as in the source run): the same record as the source run gives."""
    sys.path.insert(0, str(ROOT / "tests"))
    from scans import scan_pdf

    scan = tmp_path / "scanned-CM16-0230548.pdf"
    scan.write_bytes(scan_pdf(ROOT / "resources" / "samples" / "CM16-0230548.pdf", seed=3))
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    runs = [
        subprocess.run(
            [str(c) for c in (*cmd, "extract", "--json", "--timeout", "900", scan)],
            capture_output=True,
            text=True,
            timeout=1200,
            env=env,
            cwd=tmp_path,
        )
        for cmd in ([_exe(dist, "imrdesk-cli")], [sys.executable, ROOT / "main.py"])
    ]
    assert all(run.returncode == 0 for run in runs), runs[0].stderr + runs[1].stderr
    got, want = (json.loads(run.stdout.splitlines()[0]) for run in runs)
    assert got["error"] is None and got["ocr"]["pages"] and got["case_number"] and got["items"]
    assert got == want


def test_extract_json_many_letters(dist, tmp_path):
    """Every sample (PDFs and a .txt letter) through the frozen CLI at once, as in the source."""
    samples = sorted((ROOT / "resources" / "samples").glob("*"))
    samples = [p for p in samples if p.suffix.lower() in (".pdf", ".txt")]
    if not samples:
        pytest.skip("no samples yet")
    frozen = _run([_exe(dist, "imrdesk-cli"), "extract", "--json", *samples], cwd=tmp_path)
    source = _run([sys.executable, ROOT / "main.py", "extract", "--json", *samples], cwd=tmp_path)
    assert frozen.returncode == 0, frozen.stderr
    assert [json.loads(x) for x in frozen.stdout.splitlines()] == [
        json.loads(x) for x in source.stdout.splitlines()
    ]


def test_import_search_and_xlsx_export(dist, tmp_path):
    """The store path frozen: import runs letters in spawned worker processes (multiprocessing needs
    freeze_support in main.py), the search uses SQLite FTS, the xlsx export needs openpyxl."""
    letter = _letter()
    cli, db = _exe(dist, "imrdesk-cli"), tmp_path / "frozen.db"
    proc = _run([cli, "--db", db, "import", letter], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Imported 1 letter" in proc.stdout, proc.stdout + proc.stderr
    case = json.loads(_run([cli, "extract", "--json", letter]).stdout)["case_number"]
    proc = _run([cli, "--db", db, "search", case.split("-")[1]], cwd=tmp_path)
    assert proc.returncode == 0 and case in proc.stdout, proc.stdout + proc.stderr
    out = tmp_path / "dataset.xlsx"
    proc = _run([cli, "--db", db, "export", "-o", out], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert out.read_bytes()[:2] == b"PK"


def test_report_draws_its_charts(dist, tmp_path):
    """matplotlib frozen: the report's charts (Agg) as PNG files and inside the HTML."""
    cli, db = _exe(dist, "imrdesk-cli"), tmp_path / "report.db"
    samples = sorted((ROOT / "resources" / "samples").glob("*.pdf"))
    proc = _run([cli, "--db", db, "import", *samples], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out, charts = tmp_path / "report.html", tmp_path / "charts"
    proc = _run([cli, "--db", db, "report", "-o", out, "--png", charts], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    pngs = sorted(charts.glob("*.png"))
    assert pngs and all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    page = out.read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") >= len(pngs) - 1  # every chart drawn into the page


def test_window_starts_offscreen(dist, tmp_path):
    proc = _run([_exe(dist, "imrdesk"), "--db", tmp_path / "smoke.db", "--smoke-gui", "300"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ok = [line for line in proc.stdout.splitlines() if line.startswith("smoke-gui: ok ")]
    assert ok, proc.stdout + proc.stderr
    assert "platform=offscreen" in ok[0] and "icon=ok" in ok[0] and "utf8=1" in ok[0]
    if (ROOT / "imrdesk" / "ui" / "main_window.py").is_file():
        assert "window=MainWindow" in ok[0], ok[0]
    assert "pdfium=blank" not in ok[0] or not list((ROOT / "resources" / "samples").glob("*.pdf"))


def test_bundle_contents(dist):
    internal = dist / "_internal"
    assert (internal / "resources" / "icons" / "imrdesk.png").is_file()
    assert list((internal / "pdfminer" / "cmap").iterdir()), "pdfminer's CMap data is missing"
    assert list((internal / "pypdfium2_raw").glob("*pdfium*")), "pdfium's native library is missing"
    platforms = {p.name for p in (internal / "PySide6" / "Qt" / "plugins" / "platforms").iterdir()}
    assert any("offscreen" in name for name in platforms), platforms
    assert not (internal / "pytest").exists() and not (internal / "_pytest").exists()
    for heavy in ("QtQml", "QtQuick", "QtWebEngineCore"):
        assert not list(internal.rglob(f"*{heavy}*")), f"{heavy} should be excluded"
    # OpenCV: imrdesk.extract.cv2_lite stands in for it
    assert not (internal / "cv2").exists() and not (internal / "opencv_python_headless.libs").exists()
    # the OCR models: the smaller ones of resources/ocr, byte for byte the committed files; none of the wheel's
    shipped = ROOT / "resources" / "ocr"
    models = sorted(p.name for p in (internal / "resources" / "ocr").glob("*.onnx"))
    assert models == sorted(p.name for p in shipped.glob("*.onnx")) and models, models
    for name in models:
        assert (internal / "resources" / "ocr" / name).read_bytes() == (shipped / name).read_bytes(), name
    assert not list((internal / "rapidocr").rglob("*.onnx")), "RapidOCR's own models should be left out"
