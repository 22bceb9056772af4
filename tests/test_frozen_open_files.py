"""The frozen window takes letters from outside, as Explorer and a second launch give them, and the build
leaves out what the app does not use. Run by .ci/run after scripts/build_linux.sh:

    IMRDESK_FROZEN_DIR=dist/imrdesk python -m pytest tests/test_frozen_open_files.py

Skipped unless IMRDESK_FROZEN_DIR names the one-folder build. (The Windows build is checked the same way,
through its installer, by scripts/build_windows.sh under Wine.)
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FROZEN = os.environ.get("IMRDESK_FROZEN_DIR")
pytestmark = pytest.mark.skipif(not FROZEN, reason="set IMRDESK_FROZEN_DIR to a frozen build to check it")

SAMPLES = ROOT / "resources" / "samples"
PDF_A = SAMPLES / "CM16-0230548.pdf"
PDF_B = SAMPLES / "CM17-0002198.pdf"


@pytest.fixture(scope="module")
def dist() -> Path:
    path = Path(FROZEN).resolve()
    assert path.is_dir(), f"{path} is not a build folder"
    return path


def _exe(dist: Path, name: str) -> str:
    for candidate in (dist / name, dist / f"{name}.exe"):
        if candidate.is_file():
            return str(candidate)
    raise AssertionError(f"{name} not in {dist}")


def _env(tmp_path: Path) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"))
    env.pop("IMRDESK_DB", None)
    return env


def _has_letter(dist: Path, db: Path, name: str, env: dict) -> bool:
    proc = subprocess.run(
        [_exe(dist, "imrdesk-cli"), "--db", str(db), "show", name], capture_output=True, env=env, timeout=60
    )
    return proc.returncode == 0


def _wait_letter(dist: Path, db: Path, name: str, env: dict, seconds: float = 120) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if db.exists() and _has_letter(dist, db, name, env):
            return True
        time.sleep(0.5)
    return False


def test_frozen_window_imports_its_files_and_takes_a_second_launchs(dist, tmp_path):
    db, env = tmp_path / "letters.db", _env(tmp_path)
    first = subprocess.Popen(
        [_exe(dist, "imrdesk"), "--db", str(db), str(PDF_A)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert _wait_letter(dist, db, PDF_A.name, env), first.poll()
        second = subprocess.run(
            [_exe(dist, "imrdesk"), "--db", str(db), str(PDF_B)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 0, second.stdout + second.stderr
        assert _wait_letter(dist, db, PDF_B.name, env)
        assert first.poll() is None  # one window, still open
    finally:
        first.terminate()
        try:
            first.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            first.kill()
            first.communicate()


def test_frozen_build_leaves_out_what_the_app_does_not_use(dist):
    internal = dist / "_internal"
    names = {p.name.lower() for p in internal.rglob("*") if p.is_file()}
    assert "opengl32sw.dll" not in names
    assert not [n for n in names if n.endswith(".qm")], "Qt translations are shipped"
    assert not list(internal.rglob("PIL/_avif*"))
    assert any("qt6network" in n for n in names)  # the single-instance socket needs it
    assert any(n.startswith(("libqsvg", "qsvg")) for n in names)  # the stylesheet's SVG images
