"""Locate bundled resources (icons, stylesheet, sample letters) from source and when frozen."""

from __future__ import annotations

import sys
from pathlib import Path


def resource_root() -> Path:
    """The ``resources`` folder: beside the package in a checkout, under ``sys._MEIPASS`` when frozen."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
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
