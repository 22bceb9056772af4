"""Locate bundled resources (icons, stylesheet, sample letters): installed, from source and when frozen.

The files live in the top-level ``resources/`` folder of the repository. pyproject.toml maps that folder
into the package as ``imrdesk.resources`` (``[tool.setuptools] package-dir``), so after ``pip install .``
they are found with ``importlib.resources``. Three other ways to run give the folder itself:

- frozen (PyInstaller): ``pyinstaller.spec`` copies it to ``<sys._MEIPASS>/resources``;
- a checkout (``python main.py``) and an editable install (``pip install -e .``): ``imrdesk.resources`` is
  not importable there (``resources/`` has no ``__init__.py`` and setuptools' editable finder cannot map
  such a namespace package, pypa/setuptools#4943), so the folder beside the ``imrdesk`` package is used.
"""

from __future__ import annotations

import sys
from importlib.resources import files
from pathlib import Path

PACKAGE = "imrdesk.resources"
_PROBE = "style.qss"  # a file every resources folder holds


def _installed_root() -> Path | None:
    """The installed ``imrdesk.resources`` folder, or None where that package cannot be imported."""
    try:
        root = files(PACKAGE)
    except ModuleNotFoundError:
        return None
    if isinstance(root, Path):  # a regular package
        return root
    # A namespace package (the installed folder has no __init__.py) answers a MultiplexedPath over its
    # folders; joining a name gives a real path inside the folder that holds it.
    probe = root.joinpath(_PROBE)
    return probe.parent if isinstance(probe, Path) else None


def resource_root() -> Path:
    """The resources folder: ``imrdesk.resources`` when installed, under ``sys._MEIPASS`` when frozen,
    beside the package in a checkout or an editable install."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    installed = _installed_root()
    if installed is not None:
        return installed
    return Path(__file__).resolve().parents[2] / "resources"


def resource_path(*parts: str) -> Path:
    """``resource_path("icons", "imrdesk.png")`` -> the file's path (it may not exist)."""
    return resource_root().joinpath(*parts)


def sample_letters() -> list[Path]:
    """The sample letters offered on first start, in a stable order."""
    folder = resource_path("samples")
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in (".pdf", ".txt"))
