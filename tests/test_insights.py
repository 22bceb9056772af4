"""Insights over the corrected dataset (equal to counts computed with SQL on the database), treatment
categories on real treatment strings, the charts, stats and the HTML report."""

from __future__ import annotations

import csv
import json
import re

import pytest

from imrdesk.cli import main
from imrdesk.extract.categories import CATEGORIES, classify, explain, normalise
from imrdesk.services import insights

# ----------------------------------------------------------------------------- categories
# Treatment headings as the corpus letters print them (disputed portions for modified requests).
REAL_TREATMENTS = [
    ("MRI of the right shoulder without contrast", "imaging", "MRI shoulder"),
    ("Cervical spine MRI without contrast", "imaging", "MRI cervical spine"),
    ("MRI (magnetic resonance imaging) of the lumbar spine", "imaging", "MRI lumbar spine"),
    ("Open MRI of the lumbosacral spine", "imaging", "MRI lumbar spine"),
    ("Retrospective CT scan of the cervical spine (DOS 11/18/16)", "imaging", "CT scan cervical spine"),
    ("X-rays of the lumbar spine", "imaging", "X-ray lumbar spine"),
    ("Associated surgical service: Chest x-ray", "imaging", "X-ray chest"),
    ("FLUOROSCOPIC GUIDANCE", "imaging", "Fluoroscopic guidance"),
    ("Trigger points impedance imaging (TPII)", "imaging", "Trigger points impedance imaging"),
    ("Physical therapy 2-3 times a week for 6 weeks", "therapy", "Physical therapy"),
    ("Post-op physical therapy 12-18 sessions", "therapy", "Physical therapy"),
    ("PT/OT 18 sessions left hand, right lower leg", "therapy", "Physical therapy"),
    ("Occupational therapy for six sessions", "therapy", "Occupational therapy"),
    ("Chiro with modalities 2 times a week for 6 weeks for neck, back", "therapy", "Chiropractic"),
    ("Spinal manipulation 1 times 8", "therapy", "Chiropractic"),
    ("Six sessions of acupuncture one time a week for six weeks", "therapy", "Acupuncture"),
    ("Twelve acupuncture visits with Capsaicin patch, 2 times weekly for 6 weeks", "therapy", "Acupuncture"),
    (
        "Four sessions of infrared therapy two times a week times 2 weeks",
        "therapy",
        "Infrared therapy",
    ),
    ("Extracorporeal shockwave therapy (ESWT)", "therapy", "Shockwave therapy"),
    ("Retrospective E-stim (DOS 12/29/16)", "therapy", "Electrical stimulation"),
    ("Norco 10/325mg #35", "medication", "Norco"),
    ("Post-op Zofran", "medication", "Zofran"),
    ("Lidocaine 5% patch #1", "medication", "Lidocaine"),
    ("Motrin 600mg #40", "medication", "Motrin"),
    ("Retrospective Famotidine 20mg #60, per 12/07/2016 order", "medication", "Famotidine"),
    ("Fanatrex 25mg/ml oral suspension 420ml", "medication", "Fanatrex"),
    (
        "One container of Flurbiprofen 10%, Cyclobenzaprine 3%, Gabapentin 6%, Lidocaine 5%/Dextromethorphan",
        "medication",
        "Flurbiprofen",
    ),
    (
        "Right L4 transforaminal epidural steroid injection under fluoroscopic guidance",
        "injection",
        "Epidural steroid injection lumbar spine",
    ),
    (
        "BILATERAL ULTRASOUND GUIDED LUMBAR FACET INJECTIONS AT L4-L5, L5-S1",
        "injection",
        "Facet injection lumbar spine",
    ),
    (
        "BILATERAL LUMBAR MEDIAL BRANCH BLOCK L2 NOT SAME DAY (SECOND SET) QTY: 2.00",
        "injection",
        "Medial branch block lumbar spine",
    ),
    (
        "1 platelet rich plasma injection to left foot",
        "injection",
        "Platelet-rich plasma injection ankle/foot",
    ),
    (
        "Left shoulder arthroscopy with Bankart repair, possible biceps tenodesis",
        "surgery",
        "Arthroscopy shoulder",
    ),
    ("Assistant surgeon", "surgery", "Assistant surgeon"),
    ("TENS unit", "DME", "TENS unit"),
    ("Associated surgical service: Cold therapy for one week", "DME", "Cold therapy unit"),
    ("Associated surgical service: Vascutherm unit, 14 days rental", "DME", "Cold therapy unit"),
    ("Wrist braces #2", "DME", "Brace wrist/hand"),
    ("standard wheelchair for a 2 month rental", "DME", "Wheelchair"),
    ("purchase of a bath/shower chair", "DME", "Bath/shower chair"),
    ("Sit-stand workstation", "DME", "Sit-stand workstation"),
    ("EMG/NCV of the bilateral upper extremities", "diagnostic/testing", "EMG/NCV upper extremities"),
    ("Functional capacity evaluation", "diagnostic/testing", "Functional capacity evaluation"),
    ("Associated surgical service: Labs - PT/PTT", "diagnostic/testing", "Laboratory tests"),
    ("Associated surgical service: EKG", "diagnostic/testing", "EKG"),
    (
        "Spine surgery evaluation for the lumbar",
        "consultation/evaluation",
        "Surgical consultation lumbar spine",
    ),
    ("TOC to ortho spine surgeon eval and treatment", "consultation/evaluation", "Orthopedic consultation"),
    (
        "PHYSICAL MEDICINE AND REHABILITATION FOLLOW-UP VISIT POST INJECTION",
        "consultation/evaluation",
        "Follow-up visit",
    ),
    ("Pre-op Clearance", "consultation/evaluation", "Medical clearance"),
    ("Partial Hospitalization day treatment", "other", "Partial Hospitalization day treatment"),
    ("MODERATE SEDATION SERVICES", "other", "Moderate sedation services"),
]


@pytest.mark.parametrize(("text", "category", "name"), REAL_TREATMENTS)
def test_categories_and_names_of_real_treatments(text, category, name):
    assert classify(text) == category, explain(text)
    assert normalise(text) == name


def test_every_category_is_reachable_and_other_has_no_reason():
    assert {c for _, c, _ in REAL_TREATMENTS} == set(CATEGORIES)
    assert explain("Partial Hospitalization day treatment") == ("other", None)
    assert explain("") == ("other", None) and normalise("") == "(no treatment)"


def test_corpus_treatments_rarely_fall_to_other(corpus_store):
    texts = [it["treatment"] for rec in corpus_store.records(provenance=False) for it in rec["items"]]
    other = [t for t in texts if classify(t) == "other"]
    assert len(texts) > 150 and len(other) <= 3, other


# ----------------------------------------------------------------------------- insights vs SQL
EFFECTIVE_ITEMS = """
WITH eff AS (
  SELECT d.id AS doc_id, d.status,
    coalesce(
      (SELECT json_extract(value, '$') FROM corrections WHERE doc_id = d.id AND path = 'decision_date'),
      (SELECT json_extract(value, '$') FROM fields WHERE doc_id = d.id AND path = 'decision_date')) AS date,
    json_extract(coalesce(
      (SELECT value FROM corrections WHERE doc_id = d.id AND path = 'reviewer.specialties'),
      (SELECT value FROM fields WHERE doc_id = d.id AND path = 'reviewer.specialties')), '$[0]') AS specialty
  FROM documents d WHERE d.error_code IS NULL
)
SELECT eff.doc_id, eff.status, eff.date, eff.specialty, i.idx,
  coalesce((SELECT json_extract(value, '$') FROM corrections c
            WHERE c.doc_id = i.doc_id AND c.path = 'items[' || i.idx || '].decision'), i.decision) AS decision,
  coalesce((SELECT value FROM corrections c
            WHERE c.doc_id = i.doc_id AND c.path = 'items[' || i.idx || '].maximus_sources'),
           i.maximus_sources) AS sources,
  coalesce((SELECT json_extract(value, '$') FROM corrections c
            WHERE c.doc_id = i.doc_id AND c.path = 'items[' || i.idx || '].treatment'), i.treatment) AS treatment,
  i.disputed_portion
FROM eff LEFT JOIN items i ON i.doc_id = eff.doc_id
"""


def _sql_rows(store, where: str = "1", params=()) -> list[dict]:
    sql = f"SELECT * FROM ({EFFECTIVE_ITEMS}) WHERE {where}"
    cur = store.conn.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _tally(rows: list[dict]) -> tuple[int, int, int, int]:
    items = [r for r in rows if r["idx"] is not None]
    return (
        len({r["doc_id"] for r in rows}),
        len(items),
        sum(r["decision"] == "Upheld" for r in items),
        sum(r["decision"] == "Overturned" for r in items),
    )


def _row(table, key) -> tuple:
    (row,) = [r for r in table.dicts() if r[table.columns[0]] == key]
    return (row["letters"], row["items"], row["upheld"], row["overturned"])


@pytest.fixture
def corrected(corpus_store):
    """The corpus with a few corrections that move counts: a decision flipped, a letter moved to another
    month, a reviewer specialty and a MAXIMUS citation changed, two letters reviewed."""
    store = corpus_store
    ids = [r["id"] for r in store.list_documents()]
    first = store.record(ids[0])
    store.set_value(
        ids[0], "items[0].decision", "Overturned" if first["items"][0]["decision"] == "Upheld" else "Upheld"
    )
    store.set_value(ids[1], "decision_date", "2016-06-15")
    store.set_value(ids[2], "reviewer.specialties", ["Neurology", "Pain Medicine"])
    store.set_value(ids[3], "items[0].maximus_sources", ["ACOEM", "OTHER"])
    store.set_value(ids[4], "items[0].treatment", "Lumbar fusion L4-L5")
    for doc_id in ids[:2]:
        store.set_status(doc_id, "reviewed")
    return store


def test_insights_equal_counts_computed_with_sql(corrected):
    store = corrected
    ins = insights.compute(store, top=0)
    rows = _sql_rows(store)
    letters, items, upheld, overturned = _tally(rows)
    o = ins.overall
    assert (o["letters"], o["items"], o["upheld"], o["overturned"]) == (letters, items, upheld, overturned)
    assert o["overturned_rate"] == round(overturned / (upheld + overturned), 4)
    assert o["undated_letters"] == len({r["doc_id"] for r in rows if not r["date"]})

    # by month: the corrected date counts; a long run of months without letters is left out, and said
    months = ins["by_month"]
    assert months.rows[0][0] == "2016-06" and _row(months, "2016-06") == _tally(
        [r for r in rows if (r["date"] or "").startswith("2016-06")]
    )
    for month in {r["date"][:7] for r in rows if r["date"]}:
        assert _row(months, month) == _tally([r for r in rows if (r["date"] or "").startswith(month)])
    assert "2016-09" not in months.column("month") and "months without any letter are left out" in months.note

    # by reviewer specialty (the first listed), the corrected one included
    for spec in {r["specialty"] for r in rows}:
        assert _row(ins["by_specialty"], spec) == _tally([r for r in rows if r["specialty"] == spec])
    assert _row(ins["by_specialty"], "Neurology")[0] == 1

    # by guideline family MAXIMUS cited (json_each over the effective sources)
    fam_rows: dict[str, list] = {}
    for r in rows:
        if r["idx"] is None:
            continue
        fams = json.loads(r["sources"] or "[]") or ["none cited"]
        for f in dict.fromkeys(fams):
            fam_rows.setdefault(f, []).append(r)
    assert {t[0] for t in ins["by_guideline"].rows} == set(fam_rows)
    for fam, frows in fam_rows.items():
        assert _row(ins["by_guideline"], fam) == _tally(frows)

    # by category and treatment: the classifier over the effective treatment text from SQL
    from imrdesk.extract.categories import CATEGORY_LABELS

    by_cat: dict[str, list] = {}
    by_name: dict[str, list] = {}
    for r in rows:
        if r["idx"] is not None:
            text = r["disputed_portion"] or r["treatment"]
            by_cat.setdefault(CATEGORY_LABELS[classify(text)], []).append(r)
            by_name.setdefault(normalise(text), []).append(r)
    for label, crows in by_cat.items():
        assert _row(ins["by_category"], label) == _tally(crows)
    assert _row(ins["by_category"], "Surgery")[1] >= 1  # the corrected treatment is a fusion
    assert len(ins["top_treatments"].rows) == len(by_name)
    for name, nrows in by_name.items():
        assert _row(ins["top_treatments"], name) == _tally(nrows)
    items_col = ins["top_treatments"].column("items")
    assert items_col == sorted(items_col, reverse=True)


def test_filters_select_by_decision_date_and_review_status(corrected):
    store = corrected
    ins = insights.compute(store, date_from="2017-02", date_to="2017-02-14", top=0)
    expect = _sql_rows(store, "date BETWEEN ? AND ?", ("2017-02-01", "2017-02-14"))
    o = ins.overall
    assert (o["letters"], o["items"], o["upheld"], o["overturned"]) == _tally(expect)
    assert ins.filters["date_from"] == "2017-02-01" and ins.filters["date_to"] == "2017-02-14"

    ins = insights.compute(store, status="reviewed")
    expect = _sql_rows(store, "status = 'reviewed'")
    assert _tally(expect)[0] == 2
    assert (ins.overall["letters"], ins.overall["items"]) == _tally(expect)[:2]
    assert ins.overall["by_status"] == {"reviewed": 2}
    both = insights.compute(store, status=["reviewed", "new"])
    assert both.overall["letters"] == store.count_documents()

    with pytest.raises(ValueError, match="not a date"):
        insights.compute(store, date_from="Feb 2017")
    with pytest.raises(ValueError, match="empty"):
        insights.compute(store, date_from="2017-03-01", date_to="2017-01-01")
    with pytest.raises(ValueError, match="review status"):
        insights.compute(store, status="done")
    none = insights.compute(store, date_from="2030")
    assert none.overall["letters"] == 0 and all(not t.rows for t in none.tables.values())


def test_tables_export_as_csv(corrected, tmp_path):
    ins = insights.compute(corrected)
    files = ins.write_csv(tmp_path / "tables")
    assert sorted(f.name for f in files) == sorted(f"{n}.csv" for n in ins.tables)
    with open(tmp_path / "tables" / "by_category.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["category"] for r in rows] == ins["by_category"].column("category")
    assert [int(r["items"]) for r in rows] == ins["by_category"].column("items")


# ----------------------------------------------------------------------------- charts, stats, report
def test_charts_render_for_data_and_for_nothing(corrected, tmp_path):
    from matplotlib.figure import Figure

    from imrdesk.services import charts

    ins = insights.compute(corrected)
    empty = insights.compute(corrected, date_from="2030")
    for name in charts.CHARTS:
        for data in (ins, empty):
            fig = charts.figure(data, name)
            assert isinstance(fig, Figure)
        png, table = charts.export_chart(ins, name, tmp_path)
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and table.exists()
    texts = [t.get_text() for sub in charts.figure(empty, "by_category").subfigs for t in sub.texts]
    texts += [t.get_text() for ax in charts.figure(empty, "by_category").get_axes() for t in ax.texts]
    assert any("No decided items" in t for t in texts)


def test_stats_command_prints_findings_and_insights(corrected, tmp_path, capsys):
    db = str(corrected.path)
    assert main(["--db", db, "stats", "--json", "--status", "reviewed", "--csv", str(tmp_path / "t")]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["letters"] == 65  # the store's figures stay whole
    # the fixture's corrections break three rules: a decision date before the date assigned, a decision
    # against its rationale, sources that are not the cited ones
    by_rule = {r: n for r, n in s["findings"]["by_rule"].items() if n}
    assert by_rule == {"date_order": 1, "conclusion_agrees": 1, "sources_match_citations": 1}
    assert s["insights"]["overall"]["letters"] == 2 and s["insights"]["filters"]["status"] == ["reviewed"]
    assert (tmp_path / "t" / "by_month.csv").exists()
    assert main(["--db", db, "stats", "--from", "2017-01", "--to", "2017-01"]) == 0
    out = capsys.readouterr().out
    assert "Letters: 65" in out and "Open findings: 3 in 3 letters" in out  # the existing output stays
    assert "decided 2017-01-01 to 2017-01-31" in out and "Decisions by treatment category:" in out
    assert main(["--db", db, "stats", "--from", "yesterday"]) == 2
    assert "not a date" in capsys.readouterr().err


def test_report_is_self_contained_with_every_chart(corrected, tmp_path, capsys):
    from imrdesk.services import charts

    out = tmp_path / "report.html"
    db = str(corrected.path)
    assert main(["--db", db, "report", "-o", str(out), "--png", str(tmp_path / "png")]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert not re.search(r"https?://|(?:src|href)=\"//|@import|url\(", text)  # nothing from elsewhere
    images = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,', text)
    assert images == [title for title, _ in charts.CHARTS.values()]
    for name in charts.CHARTS:
        assert f'<section id="{name}">' in text
        assert (tmp_path / "png" / f"{name}.png").exists() and (tmp_path / "png" / f"{name}.csv").exists()
    ins = insights.compute(corrected)
    for label in ins["by_category"].column("category"):
        assert f">{label.replace('&', '&amp;')}</td>" in text
    assert (
        "State of the review" in text and "values corrected and " in text and "confirmed by reviewers" in text
    )
    assert "Wrote the report" in capsys.readouterr().err

    filtered = tmp_path / "reviewed.html"
    assert main(["--db", db, "report", "-o", str(filtered), "--status", "reviewed"]) == 0
    assert "review status reviewed" in filtered.read_text(encoding="utf-8")
    assert main(["--db", db, "report", "-o", str(filtered), "--from", "2017-13"]) == 2


def test_report_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["report", "--help"])
    assert exc.value.code == 0 and "--png" in capsys.readouterr().out


def test_report_without_the_charting_libraries_is_a_message(corrected, tmp_path, capsys, monkeypatch):
    from imrdesk.services import report as html

    def missing(*args, **kwargs):
        raise ModuleNotFoundError("No module named 'numpy'")

    monkeypatch.setattr(html, "write_report", missing)
    assert main(["--db", str(corrected.path), "report", "-o", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert "charts cannot be drawn" in err and "Traceback" not in err


def test_letter_text_with_dollar_signs_draws_as_written(corpus_store):
    """A treatment's "$" would start matplotlib's math text; an unbalanced one made the chart raise."""
    from imrdesk.services import charts

    store = corpus_store
    doc_id = store.document_ids()[0]
    store.set_value(
        doc_id, "reviewer.specialties", ["Pain $\\frac{$ Medicine"]
    )  # an unbalanced math expression
    store.set_value(doc_id, "items[0].treatment", "Lidoderm $5 patch \\frac{ $$")
    store.set_value(doc_id, "items[0].disputed_portion", None)
    ins = insights.compute(store, top=0)
    assert "Pain $\\frac{$ Medicine" in ins["by_specialty"].column("specialty")
    for name in charts.CHARTS:
        assert charts.png_bytes(charts.figure(ins, name))[:4] == b"\x89PNG"
