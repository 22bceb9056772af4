"""Validation rules on real letters (no findings) and on crafted violations (each rule fires on its value)."""

from __future__ import annotations

import copy

import pytest
from pdfgen import FIXTURES

from imrdesk.extract import REVIEW_THRESHOLD, extract, rules


@pytest.fixture(scope="module")
def letter() -> dict:
    return extract(FIXTURES / "pdf" / "CM17-0002198.pdf")


def test_real_letters_have_no_findings():
    for path in sorted((FIXTURES / "pdf").glob("*.pdf")) + sorted((FIXTURES / "seeds").glob("*.txt")):
        rec = extract(path)
        assert rec["findings"] == [], (path.name, rec["findings"])


def _findings(rec: dict) -> set[tuple[str, str]]:
    return {(f.rule, f.path) for f in rules.check(rec)}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda r: r.update(case_number="CM16-21"), ("case_number_form", "case_number")),
        (lambda r: r.update(decision_date=None), ("header_dates", "decision_date")),
        (lambda r: r.update(date_assigned="2016-13-45x"), ("header_dates", "date_assigned")),
        (lambda r: r.update(ur_denial_date="2010-01-01"), ("date_order", "ur_denial_date")),
        (lambda r: r.update(decision_date="2016-01-01"), ("date_order", "decision_date")),
        (lambda r: r["patient"].update(age=7), ("age_plausible", "patient.age")),
        (lambda r: r.update(items=[]), ("has_items", "items")),
        (lambda r: r["items"][1].update(rationale=""), ("item_complete", "items[1].rationale")),
        (
            lambda r: r["items"][0].update(maximus_guideline=None),
            ("item_complete", "items[0].maximus_guideline"),
        ),
        (lambda r: r["items"][0].update(decision="Overturned"), ("conclusion_agrees", "items[0].decision")),
        (
            lambda r: r["items"][0].update(maximus_sources=["ODG"]),
            ("sources_match_citations", "items[0].maximus_sources"),
        ),
        (lambda r: r.update(date_of_injury="2016-10-12"), ("injury_date_agrees", "date_of_injury")),
        (
            lambda r: r["items"][1].update(
                treatment=r["items"][1]["treatment"]
                + " Claims Administrator guideline: Decision based on MTUS"
            ),
            ("treatment_heading", "items[1].treatment"),
        ),
        (
            lambda r: r["items"][0].update(treatment="Physical therapy " + "for the lumbar spine " * 70),
            ("treatment_heading", "items[0].treatment"),
        ),
    ],
)
def test_each_rule_fires_on_its_value(letter, change, expected):
    rec = copy.deepcopy(letter)
    change(rec)
    assert expected in _findings(rec)
    applied = rules.apply(rec)
    prov = applied["provenance"].get(expected[1])
    if prov:
        assert prov["confidence"] < REVIEW_THRESHOLD


def test_dismissed_finding_stays_closed_and_corrected_values_keep_confidence(letter):
    rec = copy.deepcopy(letter)
    rec["patient"]["age"] = 120
    (finding,) = [f for f in rules.check(rec) if f.rule == "age_plausible"]
    assert rules.apply(copy.deepcopy(rec), dismissed={finding.key})["findings"] == []
    rec["provenance"]["patient.age"]["corrected"] = True
    rec["provenance"]["patient.age"]["confidence"] = 1.0
    assert rules.apply(rec)["provenance"]["patient.age"]["confidence"] == 1.0


def test_check_never_raises_on_a_malformed_record():
    (finding,) = rules.check({"items": "nonsense", "patient": 3})
    assert "could not be checked" in finding.message
    assert [f["rule"] for f in rules.apply({"items": [None]})["findings"]] == ["has_items"]
