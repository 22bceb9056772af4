"""The pre-counted figures (schema 6, ``store/summary.py``) stay equal to a count from scratch through every
kind of write — import, corrections of decisions, dates, specialties, sources and treatments, statuses,
removal and its undoing, deletion — and the insights and stats read from them equal those counted from
the letters' tables under every filter (and the records walk of the old path, ``legacy_figures``)."""

from __future__ import annotations

import json
import sqlite3

import legacy_figures as legacy
import pytest
from old_files import drop_summary

from imrdesk.services import insights
from imrdesk.services.review import ReviewService
from imrdesk.store import Store, summary
from imrdesk.store.tallies import tallies, whole_months

WHOLE_MONTHS = (
    {},
    {"date_from": "2016-01-01"},
    {"date_to": "2017-06-30"},
    {"date_from": "2016-06-01", "date_to": "2017-12-31"},
    {"statuses": ("new", "flagged")},
    {"date_from": "2017-01-01", "date_to": "2017-03-31", "statuses": ("reviewed",)},
)


def summary_rows(conn: sqlite3.Connection) -> dict[str, set]:
    """Both tables' rows that count something (a zero row left by a change counts nothing)."""
    return {
        "letters": set(conn.execute("SELECT * FROM letter_tally WHERE letters != 0").fetchall()),
        "items": set(conn.execute("SELECT * FROM item_tally WHERE items != 0 OR letters != 0").fetchall()),
    }


def recounted(conn: sqlite3.Connection) -> dict[str, set]:
    """The same rows counted again from scratch (in a savepoint rolled back: the file is left as it was)."""
    conn.execute("SAVEPOINT recount")
    try:
        summary.rebuild(conn)
        return summary_rows(conn)
    finally:
        conn.execute("ROLLBACK TO recount")
        conn.execute("RELEASE recount")


def both_ways(store: Store, **filters) -> tuple[list, list]:
    summed = list(tallies(store.conn, store._lock, **filters))
    scanned = list(tallies(store.conn, store._lock, scan=True, **filters))
    return summed, scanned


def sorted_groups(counts: list) -> list:
    return [(name, sorted(map(repr, rows)) if isinstance(rows, list) else rows) for name, rows in counts]


@pytest.fixture
def worked(corpus_store):
    """The corpus after reviewers' work of every kind the summary must follow."""
    store = corpus_store
    service = ReviewService(store, user="ann")
    ids = store.document_ids()
    recs = {i: store.record(i) for i in ids[:14]}
    with_items = [i for i in ids[:14] if recs[i]["items"]]
    first = recs[with_items[0]]["items"][0]["decision"]
    service.correct(with_items[0], "items[0].decision", "Overturned" if first == "Upheld" else "Upheld")
    service.correct(with_items[1], "decision_date", "2016-06-15")
    service.correct(with_items[2], "decision_date", None)
    service.correct(with_items[3], "reviewer.specialties", ["Neurology", "Pain Medicine"])
    service.correct(with_items[4], "items[0].maximus_sources", ["ACOEM", "OTHER", "ACOEM"])
    service.correct(with_items[5], "items[0].treatment", "Lumbar fusion L4-L5")
    service.correct(with_items[6], "items[0].maximus_sources", [])
    service.confirm(with_items[7], "patient.age")
    service.set_status_many(ids[10:20], "reviewed")
    service.set_status_many(ids[20:24], "flagged")
    service.remove(ids[30:33])
    service.restore_removed(ids[31:32])
    service.correct(with_items[8], "decision_date", "2017-02-03")
    service.correct(with_items[8], "decision_date", recs[with_items[8]]["decision_date"])  # and back
    store.delete_document(ids[40])
    return store


def test_the_summary_follows_every_write(worked):
    assert summary_rows(worked.conn) == recounted(worked.conn)
    assert summary_rows(worked.conn)["items"]  # something was counted
    in_dataset = worked.conn.execute("SELECT count(*) FROM documents WHERE removed_at IS NULL").fetchone()[0]
    assert worked.lists.size() == in_dataset > 0


def test_insights_and_stats_from_the_summary_equal_the_count_from_the_tables(worked):
    for filters in WHOLE_MONTHS:
        summed, scanned = both_ways(worked, **filters)
        assert sorted_groups(summed) == sorted_groups(scanned), filters
    for filters in ({}, {"date_from": "2016-01", "date_to": "2017-06"}, {"status": "reviewed"}):
        new, old = insights.compute(worked, **filters), legacy.compute(worked, **filters)
        assert json.dumps(new.to_json()) == json.dumps(old.to_json()), filters
    stats = worked.stats()
    assert (
        stats["letters"]
        == worked.conn.execute("SELECT count(*) FROM documents WHERE removed_at IS NULL").fetchone()[0]
    )
    assert stats["by_status"]["reviewed"] == 10 and stats["by_status"]["flagged"] == 4
    items = worked.conn.execute("SELECT total(n_items) FROM documents WHERE removed_at IS NULL").fetchone()[0]
    assert stats["items"] == items


def test_a_range_within_months_or_an_odd_date_is_counted_from_the_tables(worked):
    assert whole_months("2016-01-01", "2016-02-29") and not whole_months("2016-01-02", None)
    assert not whole_months(None, "2016-02-28") and whole_months(None, None)
    filters = {"date_from": "2016-06-01", "date_to": "2017-12-31"}
    # a date that is not a plain date (written by another program) compares as text: only the tables know
    doc_id = worked.document_ids()[5]
    with worked.conn:
        worked.conn.execute("UPDATE documents SET decision_date = '2016-06' WHERE id = ?", (doc_id,))
    assert summary_rows(worked.conn) == recounted(worked.conn)
    summed, scanned = both_ways(worked, **filters)
    assert summed == scanned
    # '2016-06' sorts before '2016-06-01': the letter is outside the range, though its month is not
    new = insights.compute(worked, date_from="2016-06", date_to="2017-12")
    assert new.overall["letters"] == len(insights.select_ids(worked, date_from="2016-06", date_to="2017-12"))


def test_a_schema_5_file_is_counted_on_upgrade(worked):
    before = worked.stats(), insights.compute(worked, top=0).to_json()
    rows = summary_rows(worked.conn)
    path = worked.path
    worked.close()
    conn = sqlite3.connect(path)
    drop_summary(conn)
    conn.execute("PRAGMA user_version = 5")
    conn.commit()
    conn.close()
    with Store(path) as upgraded:
        assert summary_rows(upgraded.conn) == rows
        assert (upgraded.stats(), insights.compute(upgraded, top=0).to_json()) == before


def test_the_reports_review_state_equals_that_of_the_letters_listed(worked):
    for filters in (*WHOLE_MONTHS, {"date_from": "2016-06-02", "date_to": "2017-02-14"}):
        date_from, date_to = filters.get("date_from"), filters.get("date_to")
        statuses = filters.get("statuses", ())
        ids = worked.select_ids(date_from=date_from, date_to=date_to, statuses=statuses)
        expected = worked.review_state(ids)
        assert (
            worked.figures.review_state(date_from=date_from, date_to=date_to, statuses=statuses) == expected
        )
    assert expected["by_status"] and expected["findings"]["open"]


def test_check_finds_figures_that_disagree_with_the_letters_and_recount_mends_them(worked, capsys):
    from imrdesk.cli import main as cli

    assert worked.figures.differences() == []
    path = worked.path
    with worked.conn:  # a count gone wrong (another program, a bug): the figures would look right
        worked.conn.execute("UPDATE item_tally SET items = items + 1 WHERE kind = 'category' AND items > 0")
        worked.conn.execute("DELETE FROM letter_tally WHERE status = 'reviewed'")
    assert worked.figures.differences()
    worked.close()
    assert cli(["--db", str(path), "check"]) == 1
    out = capsys.readouterr().out
    assert "disagree" in out and "item_tally" in out and "letter_tally" in out
    assert cli(["--db", str(path), "check", "--recount"]) == 0
    assert "sound" in capsys.readouterr().out
    with Store(path) as store:
        assert store.figures.differences() == [] and summary_rows(store.conn) == recounted(store.conn)


def test_an_excel_export_larger_than_a_sheet_is_refused_before_anything_is_written(
    worked, tmp_path, monkeypatch, capsys
):
    from imrdesk.cli import main as cli
    from imrdesk.services import export

    ids = worked.document_ids()
    rows = export.export(worked, tmp_path / "all.xlsx", "xlsx")
    assert worked.dataset.sheet_rows(ids) == rows  # the count before is the rows the export writes
    kept = tmp_path / "kept.xlsx"
    kept.write_bytes(b"an earlier export")
    monkeypatch.setattr(export, "SHEET_ROWS", rows - 1)  # as a dataset of a million letters would be
    path = worked.path
    worked.close()
    assert cli(["--db", str(path), "export", "-o", str(kept)]) == 2  # an error, said in a sentence
    err = capsys.readouterr().err
    assert f"needs {rows:,}" in err and "Export CSV instead" in err
    assert kept.read_bytes() == b"an earlier export"
    assert cli(["--db", str(path), "export", "-o", str(tmp_path / "all.csv")]) == 0
