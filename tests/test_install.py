"""A plain ``pip install .`` (not editable) into a fresh virtual environment: the ``imrdesk`` command works
and the stylesheet, icons and sample letters travel inside the package as ``imrdesk.resources``.

The install builds a copy of the source (so no build/ or egg-info lands in the checkout) with pip's usual
build isolation (pip fetches setuptools through its configured index or cache, as ``pip install .`` does)
and ``--no-deps``. The package is checked alone first; then a ``.pth`` file appends this interpreter's
site-packages (PySide6 and the other dependencies) *after* the fresh environment's own, so the installed
imrdesk, not the checkout, is the one imported: it is not on the path, and the editable install's finder
is only started by a ``.pth`` file inside a site directory, which this appended folder is not.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from types import SimpleNamespace

import pytest

import imrdesk
from imrdesk.extract import ocr

ROOT = Path(__file__).resolve().parents[1]
BIN = "Scripts" if os.name == "nt" else "bin"
EXE = ".exe" if os.name == "nt" else ""
# not copied for the build: version control, environments, build output, caches
NOT_SOURCE = (".git", ".venv", "venv", "build", "dist", "build-win", "dist-win", "tmp", "*.egg-info")
NOT_SOURCE += ("__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis", ".mypy_cache")

# Run by the fresh environment's Python with only the installed package (no dependencies) importable.
PACKAGE_ALONE = """
import json, sys
from importlib.resources import files
import imrdesk

def walk(folder, prefix=""):
    for child in folder.iterdir():
        if child.is_dir():
            yield from walk(child, prefix + child.name + "/")
        else:
            yield prefix + child.name

root = files("imrdesk.resources")
print(json.dumps({
    "package": imrdesk.__file__,
    "files": sorted(walk(root)),
    "style": root.joinpath("style.qss").read_text(encoding="utf-8"),
    "sys_path": sys.path,
}))
"""

# Run with the dependencies appended: the window as the installed package starts it, on an empty database.
INSTALLED_WINDOW = """
import json, sys
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
import imrdesk
from imrdesk.ui import app as ui_app, resources
from imrdesk.extract import ocr
from imrdesk.ui.main_window import MainWindow

qt = QApplication([sys.argv[0]])
ui_app.configure(qt)
window = MainWindow(sys.argv[1], QSettings(sys.argv[2], QSettings.Format.IniFormat))
print(json.dumps({
    "package": imrdesk.__file__,
    "resources": resources.__file__,
    "root": str(resources.resource_root()),
    "stylesheet": qt.styleSheet(),
    "icon": str(resources.resource_path("icons", "imrdesk.png")),
    "samples": [str(p) for p in resources.sample_letters()],
    "ocr_models": [str(p) for p in ocr.RapidEngine().model_paths()],
    "empty_state": window.central.currentWidget() is window.empty,
    "samples_button": window.empty.samples_button.text(),
    "samples_enabled": window.empty.samples_button.isEnabled(),
}))
window.close()
"""


def _declared_packages() -> list[str]:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r"^\[tool\.setuptools\]\s*$.*?^packages = \[(.*?)\]", text, re.M | re.S)
    assert match, "pyproject.toml lists no [tool.setuptools] packages"
    return re.findall(r'"([^"]+)"', match[1])


def _source_resources() -> list[str]:
    folder = ROOT / "resources"
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", **extra)
    return env


def _run(args, cwd: Path, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=_env(**env), capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, f"{args}\n{proc.stdout}\n{proc.stderr}"
    return proc


def test_every_package_folder_is_installed():
    """pyproject.toml lists its packages (find cannot add the mapped imrdesk.resources): none forgotten."""
    declared = _declared_packages()
    assert len(declared) == len(set(declared))
    on_disk = {
        ".".join(p.relative_to(ROOT).parts)
        for p in [ROOT / "imrdesk", *(ROOT / "imrdesk").rglob("*")]
        if p.is_dir() and "__pycache__" not in p.parts and any(p.glob("*.py"))
    }
    assert set(declared) - {"imrdesk.resources"} == on_disk, (
        "[tool.setuptools] packages in pyproject.toml must list every package folder under imrdesk/"
    )
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^package-dir = \{ "imrdesk\.resources" = "resources" \}$', pyproject, re.M)
    assert (ROOT / "resources" / "style.qss").is_file()


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("install")
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", venv], cwd=tmp)
    python = venv / BIN / f"python{EXE}"
    _run([python, "-m", "pip", "install", "--quiet", "--no-deps", src], cwd=tmp, timeout=600)
    shutil.rmtree(src)  # nothing may come from the source any more
    purelib = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=tmp)
    site = Path(purelib.stdout.strip())
    alone = json.loads(_run([python, "-I", "-c", PACKAGE_ALONE], cwd=tmp).stdout)
    # now the dependencies: this interpreter's site-packages, after the fresh environment's own
    ours = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (site / "zz_imrdesk_test_dependencies.pth").write_text("\n".join(ours) + "\n", encoding="utf-8")
    return SimpleNamespace(tmp=tmp, venv=venv, python=python, bin=venv / BIN, site=site, alone=alone)


def test_installed_package_carries_its_resources(installed):
    alone = installed.alone
    assert Path(alone["package"]).is_relative_to(installed.site), alone["package"]
    checkout = [
        entry
        for entry in alone["sys_path"]
        if entry == ""
        or (Path(entry).is_relative_to(ROOT) and not Path(entry).is_relative_to(installed.venv))
    ]
    assert not checkout, checkout  # nothing from the source tree (or the current folder) on the path
    files = alone["files"]
    assert {"style.qss", "icons/imrdesk.png", "icons/imrdesk.ico", "icons/chevron-down.svg"} <= set(files)
    assert any(f.startswith("samples/") and f.endswith(".pdf") for f in files), files
    assert files == _source_resources()  # every file of resources/, nothing else
    assert alone["style"] == (ROOT / "resources" / "style.qss").read_text(encoding="utf-8")


def test_console_commands(installed):
    version = f"imrdesk {imrdesk.__version__}"
    imrdesk_cmd = installed.bin / f"imrdesk{EXE}"
    assert imrdesk_cmd.is_file()
    assert (installed.bin / f"imrdesk-gui{EXE}").is_file()
    assert _run([imrdesk_cmd, "--version"], cwd=installed.tmp).stdout.strip() == version
    assert _run([installed.python, "-m", "imrdesk", "--version"], cwd=installed.tmp).stdout.strip() == version
    if os.name != "nt":  # a Windows GUI script has no console to print to
        gui = _run([installed.bin / "imrdesk-gui", "--version"], cwd=installed.tmp)
        assert gui.stdout.strip() == version


def test_installed_window_has_its_stylesheet_and_offers_the_samples(installed):
    proc = _run(
        [installed.python, "-c", INSTALLED_WINDOW, installed.tmp / "letters.db", installed.tmp / "ui.ini"],
        cwd=installed.tmp,
        QT_QPA_PLATFORM="offscreen",
    )
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    for key in ("package", "resources", "root", "icon"):
        assert Path(seen[key]).is_relative_to(installed.site), (key, seen[key])
    root = Path(seen["root"])
    assert root == installed.site / "imrdesk" / "resources"
    assert Path(seen["icon"]).is_file()
    source_style = (ROOT / "resources" / "style.qss").read_text(encoding="utf-8")
    assert seen["stylesheet"] == source_style.replace(
        "@resources", root.as_posix()
    )  # images from the install
    samples = [Path(p) for p in seen["samples"]]
    folder = ROOT / "resources" / "samples"
    expected = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in (".pdf", ".txt"))
    assert [p.name for p in samples] == expected
    assert all(p.is_file() and p.parent == root / "samples" for p in samples)
    assert seen["empty_state"] and seen["samples_enabled"]
    # the OCR loads the models installed with the package (resources/ocr), not the checkout's
    assert [Path(p) for p in seen["ocr_models"]] == [root / "ocr" / name for name in ocr.MODELS]
    assert seen["samples_button"] == f"Import the {len(expected)} sample letters"
