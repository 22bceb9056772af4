"""Shared fixtures. Add new fixtures below; keep each one small and documented."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
# The shared corpus sits beside the project (../shared/corpus from the repository root); a fresh clone has
# its copy in tests/fixtures/corpus (the letters are public), so every test runs without ../shared.
SHARED_CORPUS_DIR = REPO_ROOT.parent / "shared" / "corpus"
FIXTURE_CORPUS_DIR = Path(__file__).resolve().parent / "fixtures" / "corpus"
CORPUS_DIR = SHARED_CORPUS_DIR if (SHARED_CORPUS_DIR / "pdf").is_dir() else FIXTURE_CORPUS_DIR


@pytest.fixture(scope="session", autouse=True)
def _log_dir(tmp_path_factory):
    """The window's log goes to a folder of the test session, never the user's log folder."""
    import os

    folder = tmp_path_factory.mktemp("logs")
    previous = os.environ.get("IMRDESK_LOG_DIR")
    os.environ["IMRDESK_LOG_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("IMRDESK_LOG_DIR", None)
    else:
        os.environ["IMRDESK_LOG_DIR"] = previous


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The real letters: ../shared/corpus, else the copy in tests/fixtures/corpus (pdf/, seeds/,
    fragments/, gold/); skips only when neither is there."""
    if not (CORPUS_DIR / "pdf").is_dir():
        pytest.skip("no corpus: neither ../shared/corpus nor tests/fixtures/corpus")
    return CORPUS_DIR


@pytest.fixture(scope="session")
def corpus_pdfs(corpus_dir) -> list[Path]:
    """The real letters of the shared corpus (65 PDFs), sorted."""
    return sorted((corpus_dir / "pdf").glob("*.pdf"))


@pytest.fixture(scope="session")
def imported_corpus(tmp_path_factory, corpus_dir):
    """The corpus PDFs imported once per session with the real importer (2 worker processes).

    ``.path`` (the database; never modify it: use ``corpus_store``), ``.summary``, ``.events``."""
    from imrdesk.services.importing import import_paths

    db = tmp_path_factory.mktemp("corpus-db") / "corpus.db"
    events: list[dict] = []
    summary = import_paths(db, [corpus_dir / "pdf"], workers=2, timeout=120, progress=events.append)
    return SimpleNamespace(path=db, summary=summary, events=events)


@pytest.fixture
def corpus_store(imported_corpus, tmp_path):
    """An open Store on a private copy of the imported corpus database (free to modify)."""
    from imrdesk.store import Store

    copy = tmp_path / "corpus.db"
    src, dst = sqlite3.connect(imported_corpus.path), sqlite3.connect(copy)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    store = Store(copy)
    yield store
    store.close()
