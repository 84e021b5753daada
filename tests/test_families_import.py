"""Importing families from the case system (issue 10): a dry run changes nothing and says what
applying would do; applying twice changes nothing the second time; nothing is deleted; a
structural error refuses the whole file; bad cells refuse their row and nothing is imported."""
from datetime import date, timedelta
from pathlib import Path

import pytest

from fieldvisit.cli import main
from fieldvisit.demo import seed_organisations
from fieldvisit.families.imports import import_families
from tests.factories import fresh_db

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "examples" / "families.csv"
HEADINGS = ("Case Reference,Family Name,Address,Postcode,Team,Child First Name,Child Last Name,Date of Birth,Sex,"
            "NHS Number,Plan,Plan Category,Plan Start Date")
TABLES = ("families", "children", "adults", "child_plans", "record_changes", "assignments", "audit_log")


@pytest.fixture
def db():
    database = fresh_db()
    seed_organisations(database)
    yield database
    database.close()


def counts(db):
    return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES}


def csv_of(*rows, headings=HEADINGS):
    return ("\n".join((headings,) + rows) + "\n").encode("utf-8")


def a_row(ref="LL-9", first="Ava", born=None, nhs="9990000042", plan="Child in Need", category="", start=None,
          postcode="NF1 3HD", family="Ashdown household"):
    born = born or (date.today() - timedelta(days=400)).isoformat()
    start = start if start is not None else (date.today() - timedelta(days=30)).isoformat()
    return f'{ref},{family},"1 Mill Lane, Northfield",{postcode},Family Support Team,{first},Ashdown,{born},F,{nhs},{plan},{category},{start}'


def actions(report):
    return [(entry["line"], entry["action"]) for entry in report["rows"]]


def test_the_example_file_dry_run_changes_nothing_and_says_what_applying_would_do(db):
    before = counts(db)
    report = import_families(db, EXAMPLE.read_bytes())
    assert report["refused_file"] is None and not report["applied"]
    assert actions(report) == [(2, "create"), (3, "create"), (4, "create"), (5, "create")]
    assert report["rows"][0]["details"] == ["create family", "create child", "start child protection plan"]
    assert report["rows"][1]["details"] == ["create child", "start child protection plan"]
    assert counts(db) == before


def test_applying_imports_and_applying_again_changes_nothing(db):
    report = import_families(db, EXAMPLE.read_bytes(), apply=True)
    assert report["applied"]
    after_first = counts(db)
    assert after_first["families"] == 3 and after_first["children"] == 4
    ivy = dict(next(db.query("SELECT * FROM children WHERE first_name = 'Ivy'")))
    assert (ivy["plan"], ivy["plan_category"], ivy["nhs_number"], ivy["sex"], ivy["case_reference"]) == \
        ("child_protection", "neglect", "9990000018", "female", "P-880101")
    family = dict(next(db.query("SELECT * FROM families WHERE case_reference = 'LL-204311'")))
    assert family["known_risks"].startswith("Large dog")
    again = import_families(db, EXAMPLE.read_bytes(), apply=True)
    assert [entry["action"] for entry in again["rows"]] == ["unchanged"] * 4
    assert {k: v for k, v in counts(db).items() if k != "audit_log"} == \
        {k: v for k, v in after_first.items() if k != "audit_log"}


def test_an_import_updates_by_reference_and_never_deletes(db):
    import_families(db, csv_of(a_row(), a_row(first="Leo", nhs="")), apply=True)
    report = import_families(db, csv_of(a_row(postcode="NF1 3HE")), apply=True)
    assert report["rows"][0]["details"] == ["update family (Postcode)"]
    assert db.execute("SELECT postcode FROM families WHERE case_reference = 'LL-9'").fetchone()[0] == "NF1 3HE"
    assert db.execute("SELECT count(*) FROM children").fetchone()[0] == 2, "Leo, left out of the file, is kept"
    change = dict(next(db.query("SELECT * FROM record_changes WHERE change = 'edited' AND entity = 'family'")))
    assert (change["source"], change["before"], change["after"]) == \
        ("import", '{"postcode": "NF1 3HD"}', '{"postcode": "NF1 3HE"}')


def test_a_new_plan_in_the_export_ends_the_one_in_force(db):
    import_families(db, csv_of(a_row(plan="Child Protection", category="Neglect",
                                     start=(date.today() - timedelta(days=90)).isoformat())), apply=True)
    start = (date.today() - timedelta(days=2)).isoformat()
    report = import_families(db, csv_of(a_row(plan="Child in Need", start=start)), apply=True)
    assert report["rows"][0]["details"] == ["end child protection plan", "start child in need plan"]
    assert db.execute("SELECT plan, end_date FROM child_plans ORDER BY id").fetchall() == [
        ("child_protection", start), ("child_in_need", None)]


@pytest.mark.parametrize("content, why", [
    (EXAMPLE.read_bytes().decode("utf-8").encode("utf-16"), "not UTF-8"),
    ("Case Reference,Family Name\nLL-1,X\n".encode(), "Columns missing: Address, Postcode, Team"),
    (b"", "The file is empty"),
    (HEADINGS.encode() + b"\n", "no rows of children"),
    ((HEADINGS + ",Team\n").encode(), "The column 'Team' appears twice"),
])
def test_a_structural_error_refuses_the_whole_file(db, content, why):
    before = counts(db)
    report = import_families(db, content, apply=True)
    assert why in report["refused_file"]
    assert report["rows"] == [] and not report["applied"]
    assert counts(db) == before


def test_bad_cells_refuse_their_row_with_the_reason_and_nothing_is_imported(db):
    before = counts(db)
    content = csv_of(
        a_row(ref="LL-1"),                                   # fine on its own
        a_row(ref="LL-2", born="03/04/2025"),                # a date in another format
        a_row(ref="LL-3", first="=HYPERLINK(\"x\")"),        # a formula
        a_row(ref="LL-4", nhs="9434765918"),                 # the check digit fails
        a_row(ref="LL-5", born=(date.today() + timedelta(days=3)).isoformat()),
        a_row(ref="LL-6", plan="Child Protection", category=""),
        a_row(ref="LL-7", postcode="NF7 1AA"), a_row(ref="LL-7", first="Leo", postcode="NF7 9ZZ"),
        a_row(ref="LL-8"), a_row(ref="LL-8"),                # the same row twice: the second is skipped
        a_row(ref="@SUM(1)"))
    report = import_families(db, content, apply=True)
    assert not report["applied"]
    assert counts(db) == before, "nothing is half-imported"
    by_line = {entry["line"]: entry for entry in report["rows"]}
    assert by_line[2]["action"] == "create"
    assert by_line[3]["action"] == "refuse" and "is not a date written YYYY-MM-DD" in by_line[3]["details"][0]
    assert "starts with '=', like a spreadsheet formula" in by_line[4]["details"][0]
    assert by_line[5]["details"] == ["NHS Number: Enter a real NHS number: 10 digits, the last a check digit"
                                     " (or leave it empty)"]
    assert by_line[6]["details"] == ["Date of Birth: The date of birth must be today or in the past"]
    assert by_line[7]["details"][0].startswith("Plan Category: a child protection plan needs its category")
    assert by_line[8]["action"] == by_line[9]["action"] == "refuse"
    assert "case reference LL-7 appears on lines 8 and 9 with different Postcode" in by_line[9]["details"][0]
    assert by_line[10]["action"] == "create" and by_line[11]["action"] == "skip"
    assert "starts with '@'" in by_line[12]["details"][0]
    assert report["counts"] == {"create": 2, "refuse": 8, "skip": 1}


def test_an_unknown_team_or_plan_is_refused_with_the_reason(db):
    content = csv_of(a_row().replace("Family Support Team", "No Such Team"), a_row(ref="LL-2", plan="Foster"))
    report = import_families(db, content)
    assert report["rows"][0]["details"] == ["Team: no team called 'No Such Team' in Fieldvisit (an admin adds teams)"]
    assert report["rows"][1]["details"][0].startswith("Plan: 'Foster' is not a plan Fieldvisit knows")


def test_the_command_is_a_dry_run_unless_applied(tmp_path, monkeypatch, capsys):
    db_path = tmp_path / "fieldvisit.db"
    monkeypatch.setenv("FIELDVISIT_DB", str(db_path))
    monkeypatch.setenv("FIELDVISIT_INSTANCE", str(tmp_path))
    from fieldvisit.db import connect
    assert main(["upgrade"]) == 0
    database = connect(db_path)
    seed_organisations(database)
    database.close()
    assert main(["import", "families", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "line 2: CREATE LL-204311 Ivy Ashcombe: create family; create child; start child protection plan" in out
    assert "Dry run, nothing was imported (4 create). Run it again with --apply to import." in out
    database = connect(db_path)
    assert database.execute("SELECT count(*) FROM families").fetchone()[0] == 0
    database.close()
    assert main(["import", "families", str(EXAMPLE), "--apply"]) == 0
    assert "Imported: 4 create." in capsys.readouterr().out
    assert main(["import", "families", str(EXAMPLE), "--apply"]) == 0
    assert "Imported: 4 unchanged." in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"Case Reference\nLL-1\n")
    assert main(["import", "families", str(bad), "--apply"]) == 2
    assert "The whole file is refused" in capsys.readouterr().out
    assert main(["import", "families", str(tmp_path / "missing.csv")]) == 2
