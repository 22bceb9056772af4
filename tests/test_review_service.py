"""The review service without a window: each operation is one transaction with its audit rows, returns a
change whose inverse undoes it through the same service, and carries the review rules the window used to
decide (new -> in review, confirming a value, dismissing and restoring findings)."""

from __future__ import annotations

import copy
import functools
from pathlib import Path

import pytest

from imrdesk.extract import REVIEW_THRESHOLD, extract
from imrdesk.record import findings_at, needs_check
from imrdesk.services.review import Edit, ReviewService
from imrdesk.store import CLEAR, Store

FIXTURES = Path(__file__).parent / "fixtures" / "pdf"
LETTER = FIXTURES / "CM17-0002198.pdf"  # two items, both Upheld; no findings as extracted
DOUBTED = "date_order:application_received"


@functools.cache
def _extracted() -> dict:
    return extract(LETTER)


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "review.db")
    yield s
    s.close()


@pytest.fixture
def letter(store) -> int:
    return store.add_record(copy.deepcopy(_extracted()), LETTER.read_bytes())["doc_id"]


class Statements:
    """Counts the transactions and audit inserts the store's connection runs."""

    def __init__(self, store: Store) -> None:
        self.sql: list[str] = []
        store.conn.set_trace_callback(self.sql.append)

    def count(self, prefix: str) -> int:
        return sum(1 for s in self.sql if s.lstrip().upper().startswith(prefix))

    @property
    def audit_rows(self) -> int:
        return sum(1 for s in self.sql if s.lstrip().upper().startswith("INSERT INTO AUDIT"))


def test_one_correction_is_one_transaction_and_one_audit_row(store, letter):
    service = ReviewService(store, user="ann")
    history_before = store.history(letter)
    trace = Statements(store)
    change = service.correct(letter, "patient.age", "61")
    assert trace.count("BEGIN") == 1 and trace.count("COMMIT") == 1
    assert trace.audit_rows == 1
    new_rows = store.history(letter)[len(history_before) :]
    assert [(r["path"], r["new"], r["user"]) for r in new_rows] == [("patient.age", 61, "ann")]
    # the rule "the first correction moves a new letter to in review" holds, without a second audit row
    assert change.status_before == "new" and store.review_status(letter) == "in_review"
    # the change carries the letter as it now is: no second read needed to show it
    assert change.record["patient"]["age"] == 61
    assert change.record["provenance"]["patient.age"]["corrected"] is True
    assert change.record == store.record(letter)


def test_undo_restores_the_old_value_through_the_same_service(store, letter):
    service = ReviewService(store, user="ann")
    extracted_age = store.record(letter)["patient"]["age"]
    first = service.correct(letter, "patient.age", 61)
    second = service.correct(letter, "patient.age", 62)
    assert second.inverse.values == (("patient.age", 61),)  # back to the earlier correction
    assert first.inverse.values == (("patient.age", CLEAR),)  # back to the extracted value

    history = service.history(letter)
    assert history.undo_text() == "Edit Age"
    trace = Statements(store)
    back = history.undo()
    assert trace.count("BEGIN") == 1 and trace.audit_rows == 1
    assert store.record(letter)["patient"]["age"] == 61 and back.record["patient"]["age"] == 61
    history.undo()
    rec = store.record(letter)
    assert rec["patient"]["age"] == extracted_age
    assert not rec["provenance"]["patient.age"].get("corrected")  # the extracted value, not a correction
    assert not history.can_undo() and history.can_redo()
    history.redo()
    history.redo()
    assert store.record(letter)["patient"]["age"] == 62
    # every step is in the audit, oldest first
    ages = [(r["old"], r["new"]) for r in store.history(letter, "patient.age")]
    assert ages == [
        (extracted_age, 61),
        (61, 62),
        (62, 61),
        (61, extracted_age),
        (extracted_age, 61),
        (61, 62),
    ]


def test_a_refused_value_writes_nothing(store, letter):
    service = ReviewService(store)
    before = (store.record(letter), store.history(letter), store.review_status(letter))
    for path, value in (("decision_date", "12/09/2016"), ("items[0].decision", "Maybe"), ("file", "x")):
        with pytest.raises(ValueError):
            service.correct(letter, path, value)
    assert (store.record(letter), store.history(letter), store.review_status(letter)) == before
    assert not service.history(letter).can_undo()
    with pytest.raises(KeyError):
        service.correct(letter + 100, "patient.age", 40)


def test_confirming_a_doubted_value_dismisses_its_finding(store, letter):
    service = ReviewService(store, user="ann")
    service.correct(letter, "ur_denial_date", "2017-01-10")  # now after the application: the rule doubts it
    rec = store.record(letter)
    assert [f["key"] for f in findings_at(rec, "application_received")] == [DOUBTED]
    assert needs_check(rec, "application_received")

    trace = Statements(store)
    change = service.confirm(letter, "application_received")
    assert trace.count("BEGIN") == 1 and trace.audit_rows == 1
    # dismissed, the finding stops lowering the value, whose own confidence is above the threshold: so it
    # is not also written as the reviewer's value
    assert change.text == "Dismissed the finding on Application received"
    assert change.edit.dismiss == (DOUBTED,) and change.edit.values == ()
    rec = store.record(letter)
    assert rec["findings"] == [] and not needs_check(rec, "application_received")
    assert not rec["provenance"]["application_received"].get("corrected")
    assert store.history(letter)[-1]["path"] == f"finding:{DOUBTED}"

    service.history(letter).undo()  # both parts come back
    rec = store.record(letter)
    assert [f["key"] for f in rec["findings"]] == [DOUBTED] and needs_check(rec, "application_received")
    assert store.dismissed_findings(letter) == []
    # a value that is neither doubted nor low: nothing to confirm, nothing written
    n = len(store.history(letter))
    assert service.confirm(letter, "case_number") is None and len(store.history(letter)) == n


def test_confirming_a_low_confidence_value_without_findings_accepts_it(store, letter):
    service = ReviewService(store)
    rec = store.record(letter)
    low = [p for p, v in rec["provenance"].items() if v["confidence"] < REVIEW_THRESHOLD]
    assert low, "the fixture letter has a value below the threshold"
    change = service.confirm(letter, low[0])
    assert change.text.startswith("Accepted") and change.edit.dismiss == ()
    assert not needs_check(store.record(letter), low[0])
    service.history(letter).undo()
    assert needs_check(store.record(letter), low[0])


def test_dismiss_and_restore_are_undoable_and_audited(store, letter):
    service = ReviewService(store, user="bob")
    service.correct(letter, "ur_denial_date", "2017-01-10")
    change = service.dismiss(letter, DOUBTED)
    assert change.text == "Dismiss finding on Application received" and change.record["findings"] == []
    (dismissal,) = store.dismissed_findings(letter)
    assert dismissal["user"] == "bob" and dismissal["active"]
    service.history(letter).undo()
    assert [f["key"] for f in store.findings(letter)] == [DOUBTED]
    service.history(letter).redo()
    assert store.findings(letter) == []
    service.restore(letter, DOUBTED)
    assert [f["key"] for f in store.findings(letter)] == [DOUBTED]
    with pytest.raises(ValueError):
        service.dismiss(letter, "age_plausible:patient.age")  # not an open finding


def test_undo_of_a_dismissal_whose_finding_is_gone_is_lenient(store, letter):
    """Undo restores a dismissal even after a correction cleared the rule; redoing a dismissal of a finding
    that no longer fires skips it instead of failing."""
    service = ReviewService(store)
    service.correct(letter, "ur_denial_date", "2017-01-10")
    service.dismiss(letter, DOUBTED)
    service.restore(letter, DOUBTED)
    service.correct(letter, "ur_denial_date", CLEAR)  # the rule no longer fires
    assert store.findings(letter) == []
    history = service.history(letter)
    history.undo()  # the correction back: the finding fires again
    history.undo()  # the restoration back: the finding is dismissed again
    assert store.findings(letter) == [] and store.dismissed_findings(letter)[0]["active"]


def test_status_operations_and_flags(store, letter):
    service = ReviewService(store, user="ann")
    change = service.set_status(letter, "reviewed")
    assert change.status_before == "new" and store.review_status(letter) == "reviewed"
    assert change.inverse.status == "new"
    service.toggle_flag(letter)
    assert store.review_status(letter) == "flagged"
    service.toggle_flag(letter)
    assert store.review_status(letter) == "in_review"
    statuses = [(r["old"], r["new"]) for r in store.history(letter, "review_status")]
    assert statuses == [("new", "reviewed"), ("reviewed", "flagged"), ("flagged", "in_review")]
    with pytest.raises(ValueError):
        service.set_status(letter, "failed")  # given by the importer only
    service.apply(Edit(letter, "back", status="new"))
    assert store.review_status(letter) == "new"


def test_an_edit_is_all_or_nothing(store, letter):
    service = ReviewService(store)
    before = store.record(letter)
    bad = Edit(letter, "two values", values=(("patient.age", 50), ("decision_date", "not a date")))
    with pytest.raises(ValueError):
        service.apply(bad)
    assert store.record(letter) == before and store.review_status(letter) == "new"


def test_confirming_a_low_value_with_a_finding_dismisses_and_accepts_in_one_step(store):
    rec = copy.deepcopy(_extracted())
    rec["provenance"]["application_received"]["confidence"] = 0.5  # read badly, and doubted by a rule
    doc = store.add_record(rec, LETTER.read_bytes())["doc_id"]
    service = ReviewService(store, user="ann")
    service.correct(doc, "ur_denial_date", "2017-01-10")
    trace = Statements(store)
    change = service.confirm(doc, "application_received")
    assert trace.count("BEGIN") == 1 and trace.audit_rows == 2  # the dismissal and the value
    assert change.text == "Accepted Application received"
    assert change.edit.dismiss == (DOUBTED,) and change.edit.values == (
        ("application_received", "2017-01-03"),
    )
    after = store.record(doc)
    assert after["findings"] == [] and after["provenance"]["application_received"]["corrected"] is True
    service.history(doc).undo()
    after = store.record(doc)
    assert [f["key"] for f in after["findings"]] == [DOUBTED] and needs_check(after, "application_received")
