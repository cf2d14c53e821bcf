"""The three sample files, imported in order, with every figure worked out by
hand from the files themselves."""

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.imports.conftest import run_vsis
from vsis.hours.models import MonthlyService, ServiceRecord
from vsis.imports.services import ImportOutcome, import_file
from vsis.units.models import Unit
from vsis.volunteers.models import (
    Insurance,
    Membership,
    RecordBook,
    Training,
    Volunteer,
)

SAMPLES = Path(__file__).parent / "samples"


def load(kind: str, name: str) -> ImportOutcome:
    path = SAMPLES / name
    return import_file(actor=None, kind=kind, filename=name, data=path.read_bytes())


def summary(outcome: ImportOutcome) -> dict[str, tuple[int, int, int]]:
    assert outcome.ok, [str(e) for e in outcome.errors]
    return {
        k: (c.new, c.updated, c.unchanged) for k, c in outcome.summary.counts.items()
    }


def test_the_three_sample_files_import_with_the_figures_they_hold(db: None) -> None:
    assert summary(load("units", "units_sample.csv")) == {"單位": (6, 0, 0)}
    tree = {u.code: u for u in Unit.objects.select_related("parent", "category")}
    assert {code: (u.level, u.depth) for code, u in tree.items()} == {
        "H000": (1, 0),
        "M000": (3, 1),
        "M100": (4, 2),
        "M110": (5, 3),
        "M111": (6, 4),
        "M112": (6, 4),
    }
    assert tree["M111"].parent == tree["M110"]
    assert tree["M112"].category.name == "文化"  # type: ignore[union-attr]
    assert tree["M000"].category is None

    # Title row, blank row, header on row 3; 陳大明's ID is lower-case and his
    # and 黃文彬's birth dates are real date cells, the others ROC text.
    assert summary(load("volunteers", "volunteers_sample.xlsx")) == {
        "志工": (4, 0, 0),
        "隊員資格": (4, 0, 0),
        "紀錄冊": (4, 0, 0),
        "教育訓練": (8, 0, 0),
        "保險": (4, 0, 0),
    }
    people = {v.name: v for v in Volunteer.objects.all()}
    assert {n: (v.national_id, v.sex, v.birth_date) for n, v in people.items()} == {
        "王小美": ("M200009015", "F", dt.date(1958, 4, 3)),
        "陳大明": ("M100009022", "M", dt.date(1999, 10, 20)),
        "林怡安": ("M200009033", "F", dt.date(2009, 7, 7)),
        "黃文彬": ("M100009040", "M", dt.date(1947, 1, 15)),
    }
    assert sorted(
        Membership.objects.values_list("volunteer__name", "team__code", "joined_on")
    ) == [
        ("林怡安", "M112", dt.date(2023, 3, 1)),
        ("王小美", "M111", dt.date(2023, 3, 1)),
        ("陳大明", "M111", dt.date(2023, 3, 1)),
        ("黃文彬", "M112", dt.date(2023, 3, 1)),
    ]
    assert set(Membership.objects.values_list("status", "left_on")) == {
        ("active", None)
    }
    assert sorted(RecordBook.objects.values_list("number", "issued_on")) == [
        (f"M0000{i}", dt.date(2023, 6, 1)) for i in range(1, 5)
    ]
    assert Training.objects.filter(kind="basic", completed_on="2023-04-15").count() == 4
    assert (
        Training.objects.filter(
            kind="special", completed_on="2023-05-20", category__name="文化"
        ).count()
        == 4
    )
    assert set(Insurance.objects.values_list("starts_on", "ends_on")) == {
        (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    }

    # 王小美 3 h; 陳大明 13:30-17:00 with no hours = 3.5 h; 林怡安 2.5 h;
    # 黃文彬 2.5 h with 服務人次 blank = 0.
    assert summary(load("hours", "hours_sample.csv")) == {"服務紀錄": (4, 0, 0)}
    records = {
        r.volunteer.name: (r.team.code, r.served_on, r.minutes, r.persons_served)
        for r in ServiceRecord.objects.select_related("volunteer", "team")
    }
    assert records == {
        "王小美": ("M111", dt.date(2024, 1, 6), 180, 25),
        "陳大明": ("M111", dt.date(2024, 1, 6), 210, 12),
        "林怡安": ("M112", dt.date(2024, 2, 10), 150, 40),
        "黃文彬": ("M112", dt.date(2024, 2, 10), 150, 0),
    }
    tallies = sorted(
        MonthlyService.objects.values_list(
            "team__code", "month", "sex", "records", "minutes", "persons_served"
        )
    )
    assert tallies == [
        ("M111", dt.date(2024, 1, 1), "F", 1, 180, 25),
        ("M111", dt.date(2024, 1, 1), "M", 1, 210, 12),
        ("M112", dt.date(2024, 2, 1), "F", 1, 150, 40),
        ("M112", dt.date(2024, 2, 1), "M", 1, 150, 0),
    ]
    # 11.5 hours, 4 attendances, 77 persons served in all.
    assert sum(t[4] for t in tallies) == 690
    assert sum(t[5] for t in tallies) == 77


def test_the_samples_imported_twice_change_nothing(db: None) -> None:
    for kind, name in (
        ("units", "units_sample.csv"),
        ("volunteers", "volunteers_sample.xlsx"),
        ("hours", "hours_sample.csv"),
    ):
        assert load(kind, name).ok
        again = summary(load(kind, name))
        assert all(new == 0 and updated == 0 for new, updated, _ in again.values())
    assert ServiceRecord.objects.count() == 4
    assert Volunteer.objects.count() == 4


@pytest.mark.usefixtures("keep_the_test_connection")
def test_the_cli_imports_the_samples_and_reports_a_hand_count(
    db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """vsis import (units, volunteers, hours), then vsis report, as a clerk would.

    Ages on 113/12/31: 王小美 (女, 047/04/03) 66 and 陳大明 (男, 1999-10-20) 25
    in M111; 林怡安 (女, 098/07/07) 15 and 黃文彬 (男, 1947-01-15) 77 in M112.
    """
    for kind, name in (
        ("units", "units_sample.csv"),
        ("volunteers", "volunteers_sample.xlsx"),
        ("hours", "hours_sample.csv"),
    ):
        assert run_vsis("import", str(SAMPLES / name), "--kind", kind) == 0
    capsys.readouterr()

    report = ["report", "age", "--unit", "M000", "--as-of", "113/12/31"]
    assert run_vsis(*report, "--format", "json", "--output", "-") == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["unit"], document["as_of"]) == ("M000", "2024-12-31")
    assert document["brackets"] == [
        "未滿12歲", "12-17歲", "18-29歲", "30-49歲", "50-54歲", "55-64歲", "65歲以上"
    ]  # fmt: skip
    rows = [
        (r["code"], r["kind"], r["male"], r["female"], r["total"])
        for r in document["rows"]
    ]
    both_teams = ([0, 0, 1, 0, 0, 0, 1], [0, 1, 0, 0, 0, 0, 1], 4)
    assert rows == [
        ("M111", "team", [0, 0, 1, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 1], 2),
        ("M112", "team", [0, 0, 0, 0, 0, 0, 1], [0, 1, 0, 0, 0, 0, 0], 2),
        ("M110", "subtotal", *both_teams),
        ("M100", "subtotal", *both_teams),
        ("M000", "total", *both_teams),
    ]

    # 11.5 hours (690 minutes), 4 attendances, 77 persons served in 113.
    service = ["report", "service", "--unit", "M000", "--from", "113/01/01"]
    service += ["--to", "113/12/31", "--format", "json", "--output", "-"]
    assert run_vsis(*service) == 0
    total = json.loads(capsys.readouterr().out)["rows"][-1]
    assert (total["minutes"], total["attendances"], total["persons_served"]) == (
        690,
        4,
        77,
    )
