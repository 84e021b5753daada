"""Importing practitioners from a staff directory export (issue 10): dry run, apply, idempotence,
refusals and structural errors, on a fresh database (agencies Council and Health; Team A, Team B)."""
import pytest

from fieldvisit.admin import practitioners_import as importer
from tests.factories import build_world, fresh_db

HEADER = "staff_id,username,display_name,email,role,agency,team,phone,registration_body,registration_number\n"
ROWS = ("S1,ann.one,Ann One,ann@example.gov.uk,Family support worker,Council,Team A,01632 960 001,,\n"
        "S2,ben.two,Ben Two,,Health visitor,Health,Team B,,NMC,12A3456E\n")


@pytest.fixture
def db():
    database = fresh_db()
    build_world(database)
    yield database
    database.close()


def count(db):
    return db.execute("SELECT count(*) FROM practitioners").fetchone()[0]


def actions(report):
    return [(entry["line"], entry["action"]) for entry in report]


def run(db, text, apply=False):
    return importer.import_practitioners(db, text.encode("utf-8"), apply, "/test")


def test_a_dry_run_reports_and_writes_nothing_then_apply_writes_then_nothing_changes(db):
    before = count(db)
    assert actions(run(db, HEADER + ROWS)) == [(2, "create"), (3, "create")]
    assert count(db) == before
    assert actions(run(db, HEADER + ROWS, apply=True)) == [(2, "create"), (3, "create")]
    assert count(db) == before + 2
    rows = list(db.query("SELECT staff_id, username, role, phone, password_hash, active FROM practitioners"
                         " WHERE staff_id IS NOT NULL ORDER BY staff_id"))
    assert rows == [
        {"staff_id": "S1", "username": "ann.one", "role": "family_support_worker", "phone": "01632 960 001",
         "password_hash": "", "active": 1},
        {"staff_id": "S2", "username": "ben.two", "role": "health_visitor", "phone": "", "password_hash": "",
         "active": 1}]
    assert actions(run(db, HEADER + ROWS, apply=True)) == [(2, "unchanged"), (3, "unchanged")]
    assert count(db) == before + 2


def test_an_update_is_matched_by_staff_id_names_its_changes_and_keeps_what_empty_cells_leave(db):
    run(db, HEADER + ROWS, apply=True)
    changed = HEADER + "S1,ann.renamed,Ann One,,Social worker,Council,Team A,,,\n"
    [entry] = run(db, changed, apply=True)
    assert (entry["action"], entry["changes"]) == ("update", ["username", "role"])
    row = dict(next(db.query("SELECT username, role, email, phone FROM practitioners WHERE staff_id = 'S1'")))
    assert row == {"username": "ann.renamed", "role": "social_worker", "email": "ann@example.gov.uk",
                   "phone": "01632 960 001"}


def test_an_import_never_deletes_and_leaves_others_alone(db):
    run(db, HEADER + ROWS, apply=True)
    run(db, HEADER + "S3,cy.three,Cy Three,,Social worker,Council,Team A,,,\n", apply=True)
    assert {row[0] for row in db.execute("SELECT username FROM practitioners")} >= {
        "ann.one", "ben.two", "cy.three", "worker", "lead", "other", "admin"}


@pytest.mark.parametrize("row, words", [
    ("S9,=cmd,Eve,,Social worker,Council,Team A,,,", "looks like a spreadsheet formula"),
    ("S9,eve,+Eve,,Social worker,Council,Team A,,,", "looks like a spreadsheet formula"),
    ("S9,eve,Eve,@SUM(A1),Social worker,Council,Team A,,,", "looks like a spreadsheet formula"),
    ("S9,eve,Eve,,Social worker,Council,Team A,-1,,", "looks like a spreadsheet formula"),
    ("S9,eve,Eve,,Wizard,Council,Team A,,,", "Unknown role 'Wizard'"),
    ("S9,eve,Eve,,Social worker,Nowhere,Team A,,,", "Unknown agency 'Nowhere'"),
    ("S9,eve,Eve,,Social worker,Council,Team Z,,,", "Unknown team 'Team Z'"),
    ("S9,eve,Eve,,Social worker,Council,Team B,,,", "Unknown team 'Team B' in this agency"),
    ("S9,worker,Eve,,Social worker,Council,Team A,,,", None),  # an update of worker, not a refusal
    ("S9,eve,Eve,,Health visitor,Health,Team B,,,", "must be registered"),
    ("S9,eve,Eve,,Health visitor,Health,Team B,,NMC,ABC", "right format"),
    ("S9,Eve Smith,Eve,,Social worker,Council,Team A,,,", "lower-case letters"),
    ("S9,eve,,,Social worker,Council,Team A,,,", "Enter the practitioner's name"),
])
def test_a_bad_row_is_refused_with_its_reason(db, row, words):
    [entry] = run(db, HEADER + row + "\n")
    if words is None:
        assert entry["action"] == "update"
        return
    assert entry["action"] == "refuse"
    assert any(words in reason for reason in entry["reasons"]), entry["reasons"]


def test_duplicates_within_the_file_are_each_refused(db):
    report = run(db, HEADER + ROWS + "S1,ann.again,Ann Again,,Social worker,Council,Team A,,,\n"
                 + "S4,ben.two,Ben Again,,Social worker,Council,Team A,,,\n")
    assert actions(report) == [(2, "refuse"), (3, "refuse"), (4, "refuse"), (5, "refuse")]
    assert "staff id S1 is on more than one line" in report[0]["reasons"][0]
    assert "username ben.two is on more than one line" in report[1]["reasons"][0]


def test_a_staff_id_of_one_account_and_a_username_of_another_is_refused(db):
    run(db, HEADER + ROWS, apply=True)
    [entry] = run(db, HEADER + "S1,ben.two,Ann One,,Social worker,Council,Team A,,,\n")
    assert entry["action"] == "refuse" and "two different accounts" in entry["reasons"][0]


def test_nothing_is_written_while_any_row_is_refused(db):
    before = count(db)
    report = run(db, HEADER + ROWS + "S3,cy,Cy,,Wizard,Council,Team A,,,\n", apply=True)
    assert actions(report) == [(2, "create"), (3, "create"), (4, "refuse")]
    assert count(db) == before
    with pytest.raises(ValueError):
        importer.apply(db, report, "/test")
    assert count(db) == before


def test_columns_in_another_order_with_capitals_extra_columns_a_bom_and_an_empty_line(db):
    text = ("\ufeffRole,Display_Name,USERNAME,Agency,Team,Cost centre\n"
            "Social worker,Cy Three,cy.three,council,team a,X123\n\n")
    report = run(db, text, apply=True)
    assert actions(report) == [(2, "create")]
    assert db.execute("SELECT role FROM practitioners WHERE username = 'cy.three'").fetchone()[0] == "social_worker"


@pytest.mark.parametrize("data, words", [
    (HEADER.replace("team,", "").encode() + b"S1,a,b,,c,d,e,,\n", "no team column"),
    ("username,display_name,role,agency,team\nzoë,Zoë,Social worker,Council,Team A\n".encode("latin-1"), "not UTF-8"),
    (b"", "The file is empty"),
    ((HEADER + "S1,a,b,,c,d,e,,,,extra\n").encode(), "more cells than the first line has columns"),
    (b"username,username,display_name,role,agency,team\n", "named twice"),
    (b"\x00\x01\x02binary", "not a CSV text file"),
])
def test_a_structural_error_refuses_the_whole_file(db, data, words):
    before = count(db)
    with pytest.raises(importer.StructuralError) as refused:
        importer.import_practitioners(db, data, True, "/test")
    assert words in str(refused.value)
    assert count(db) == before


def test_the_example_files_ship_and_read(db):
    from pathlib import Path
    examples = Path(__file__).resolve().parent.parent / "docs" / "examples"
    for name in ("practitioners.csv", "practitioners-with-errors.csv"):
        rows = importer.read_rows((examples / name).read_bytes())
        assert rows and set(rows[0]) == set(importer.COLUMNS)
