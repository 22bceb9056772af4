"""The store's command line: import, search, show, export, stats, reextract (and --help everywhere)."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from imrdesk.cli import main
from imrdesk.store import Store

REPO_ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ("import", "search", "show", "export", "stats", "reextract")


def _run(*args, env=None) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "main.py", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=full_env,
        timeout=300,
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage:") and command in out
    assert "--db PATH" in out  # the database can be named after the command too


def test_root_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert all(c in out for c in COMMANDS) and "--db" in out


def test_import_reports_failures_and_stores_the_rest(tmp_path, corpus_pdfs):
    folder = tmp_path / "in"
    folder.mkdir()
    for pdf in corpus_pdfs[:3]:
        shutil.copyfile(pdf, folder / pdf.name)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n" + os.urandom(2000))
    (folder / "note.txt").write_text("Remember to water the plants.\n", encoding="utf-8")
    db = tmp_path / "cli.db"
    r = _run("--db", str(db), "import", str(folder))
    assert r.returncode == 1, r.stderr
    assert "Imported 3 letters" in r.stdout and "2 failed" in r.stdout
    assert "broken.pdf: corrupt:" in r.stdout and "note.txt: not_imr:" in r.stdout
    assert "Traceback" not in r.stderr
    assert "[5/5]" in r.stderr  # progress (one line per letter when stderr is not a terminal)
    with Store(db) as store:
        assert store.count_documents() == 5 and store.stats()["failed"] == 2
    # again: all duplicates, exit status 0
    r = _run("--db", str(db), "import", str(folder), "-q")
    assert r.returncode == 0 and "5 duplicates" in r.stdout and r.stderr == ""


def test_imrdesk_db_environment_variable(tmp_path, corpus_pdfs):
    db = tmp_path / "from-env.db"
    r = _run("import", str(corpus_pdfs[0]), "-q", env={"IMRDESK_DB": str(db)})
    assert r.returncode == 0, r.stdout + r.stderr
    assert db.exists()
    r = _run("stats", "--json", env={"IMRDESK_DB": str(db)})
    assert json.loads(r.stdout)["letters"] == 1


def test_search_json_lines_and_bad_syntax(corpus_store, capsys):
    db = str(corpus_store.path)
    assert main(["--db", db, "search", "--json", "lumbar", "spine"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines
    for line in lines:
        hit = json.loads(line)
        assert hit["case_number"].startswith("CM") and "[" in hit["snippet"]
    assert main(["--db", db, "search", '"unterminated phrase']) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "double quote" in captured.err and "Traceback" not in captured.err
    # the same through a real process: a message, not a traceback
    r = _run("--db", db, "search", "(knee")
    assert r.returncode == 2 and "Cannot search" in r.stderr and "Traceback" not in r.stderr


def test_show_applies_corrections(corpus_store, capsys):
    row = corpus_store.list_documents(limit=1)[0]
    corpus_store.set_value(row["id"], "patient.age", 33)
    corpus_store.set_value(row["id"], "items[0].treatment", "Corrected treatment")
    db = str(corpus_store.path)
    assert main(["--db", db, "show", row["case_number"], "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["patient"]["age"] == 33 and rec["items"][0]["treatment"] == "Corrected treatment"
    assert rec["review_status"] == "new" and rec["id"] == row["id"]
    assert rec["provenance"]["patient.age"]["corrected"] is True
    assert main(["--db", db, "show", row["case_number"].lower()]) == 0
    out = capsys.readouterr().out
    assert row["case_number"] in out and "*patient age" in out and "Corrected treatment" in out
    assert main(["--db", db, "show", f"#{row['id']}", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == row["id"]
    assert main(["--db", db, "show", "CM00-0000000"]) == 1
    assert "no stored letter" in capsys.readouterr().err


def test_export_formats(corpus_store, tmp_path, capsys):
    doc_id = corpus_store.list_documents(limit=1)[0]["id"]
    corpus_store.set_value(doc_id, "items[0].treatment", "=1+2")
    corpus_store.set_value(doc_id, "patient.age", 44)
    db = str(corpus_store.path)
    n_items = corpus_store.stats()["items"]

    assert main(["--db", db, "export", "--format", "json", "-o", str(tmp_path / "out.json")]) == 0
    data = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert len(data) == 65 and next(r for r in data if r["id"] == doc_id)["patient"]["age"] == 44
    assert all("review_status" in r and "provenance" in r for r in data)

    assert main(["--db", db, "export", "-o", str(tmp_path / "out.csv")]) == 0  # format from the suffix
    with open(tmp_path / "out.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == n_items
    mine = [r for r in rows if r["doc_id"] == str(doc_id)]
    assert mine[0]["treatment"] == "'=1+2" and mine[0]["patient_age"] == "44"

    assert main(["--db", db, "export", "--format", "xlsx", "-o", str(tmp_path / "out.xlsx")]) == 0
    wb = load_workbook(tmp_path / "out.xlsx", read_only=True)
    assert sum(1 for _ in wb["items"].iter_rows(values_only=True)) == n_items + 1
    assert sum(1 for _ in wb["documents"].iter_rows(values_only=True)) == 66
    wb.close()
    assert "Wrote" in capsys.readouterr().err

    assert main(["--db", db, "export", "-o", str(tmp_path / "out.dat")]) == 2
    assert "--format" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--db", db, "export", "--format", "pdf", "-o", str(tmp_path / "x.pdf")])


def test_stats(corpus_store, capsys):
    db = str(corpus_store.path)
    corpus_store.set_status(corpus_store.list_documents(limit=1)[0]["id"], "reviewed")
    assert main(["--db", db, "stats", "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["letters"] == 65 and s["by_status"]["reviewed"] == 1
    assert main(["--db", db, "stats"]) == 0
    out = capsys.readouterr().out
    assert "Letters: 65" in out and "imr-2016" in out and "reviewed" in out and "upheld" in out


def test_reextract_keeps_corrections(corpus_store, capsys):
    row = corpus_store.list_documents(limit=1)[0]
    corpus_store.set_value(row["id"], "priority", "Expedited")
    db = str(corpus_store.path)
    assert main(["--db", db, "reextract", row["case_number"], "-q"]) == 0
    assert "Imported 1 letter" in capsys.readouterr().out
    assert corpus_store.record(row["id"])["priority"] == "Expedited"
    assert main(["--db", db, "reextract"]) == 2
    assert main(["--db", db, "reextract", "CM00-0000000"]) == 2


def test_unusable_database_is_a_message(tmp_path, capsys):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database" * 200)
    assert main(["--db", str(junk), "stats"]) == 2
    err = capsys.readouterr().err
    assert "imrdesk: error:" in err and "Traceback" not in err


def test_db_after_the_command(tmp_path, corpus_pdfs, monkeypatch, capsys):
    decoy = tmp_path / "from-env.db"  # where the commands would go if --db after the command were ignored
    monkeypatch.setenv("IMRDESK_DB", str(decoy))
    db = str(tmp_path / "after.db")
    assert main(["import", "--db", db, str(corpus_pdfs[0]), str(corpus_pdfs[1]), "-q"]) == 0
    assert "Imported 2 letters" in capsys.readouterr().out
    with Store(db) as store:
        assert store.count_documents() == 2
        row = store.list_documents(limit=1)[0]
    case = row["case_number"]

    assert main(["stats", "--json", "--db", db]) == 0
    assert json.loads(capsys.readouterr().out)["letters"] == 2
    assert main(["show", case, "--db", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == row["id"]
    assert main(["search", "--db", db, "--json", case.split("-")[1]]) == 0
    hits = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [h["doc_id"] for h in hits] == [row["id"]]
    assert not decoy.exists()

    # the same through a real process (main.py), after the positional arguments
    r = _run("import", str(corpus_pdfs[2]), "--db", db, "-q", env={"IMRDESK_DB": str(decoy)})
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("Imported 1 letter,")
    r = _run("stats", "--db", db, "--json", env={"IMRDESK_DB": str(decoy)})
    assert r.returncode == 0 and json.loads(r.stdout)["letters"] == 3
    assert not decoy.exists()


def test_db_after_the_command_wins_over_the_one_before(tmp_path, corpus_pdfs, capsys):
    before, after = tmp_path / "before.db", tmp_path / "after.db"
    assert main(["--db", str(before), "import", "--db", str(after), str(corpus_pdfs[0]), "-q"]) == 0
    assert not before.exists()
    with Store(after) as store:
        assert store.count_documents() == 1
        case = store.list_documents(limit=1)[0]["case_number"]
    capsys.readouterr()
    with Store(before) as store:  # an empty database to tell the two apart
        assert store.count_documents() == 0
    assert main(["--db", str(before), "stats", "--json", "--db", str(after)]) == 0
    assert json.loads(capsys.readouterr().out)["letters"] == 1
    assert main(["--db", str(after), "stats", "--json", "--db", str(before)]) == 0
    assert json.loads(capsys.readouterr().out)["letters"] == 0
    assert main(["--db", str(before), "show", case, "--db", str(after), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["case_number"] == case
    assert main(["--db", str(after), "show", case, "--db", str(before)]) == 1  # not in the empty one
    assert "no stored letter" in capsys.readouterr().err
    # given only before the command, it still counts
    assert main(["--db", str(after), "stats", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["letters"] == 1


def test_version_and_help_import_nothing_heavy():
    code = (
        "import sys\n"
        "from imrdesk.cli import build_parser\n"
        "build_parser().format_help()\n"
        "heavy = ('sqlite_utils', 'numpy', 'matplotlib', 'pdfplumber', 'PySide6', 'imrdesk.store')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_command_line_layering():
    """cli/ modules share only public names, reach the database only through the store's public methods
    and the services, and only the entry points import cli/."""
    import ast

    cli_dir = REPO_ROOT / "imrdesk" / "cli"
    for path in cli_dir.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                private = [a.name for a in node.names if a.name.startswith("_") and a.name != "__version__"]
                assert not private, f"{path.name} imports private {private} from .{node.module}"
            if isinstance(node, ast.Attribute):
                assert node.attr not in ("conn", "_lock"), f"{path.name} reaches into the store: .{node.attr}"
        assert "execute(" not in source and "SELECT " not in source, path.name
    for path in (REPO_ROOT / "imrdesk").rglob("*.py"):
        if cli_dir in path.parents or path.name == "__main__.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert "imrdesk.cli" not in text and "from ..cli" not in text and "from .cli" not in text, path
