import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import Personas, Tree
from tests.imports.conftest import (
    VOLUNTEER_HEADER,
    Person,
    counts,
    messages,
    run_import,
)
from vsis.core.national_id import check_digit
from vsis.hours.models import MonthlyService, ServiceRecord, YearlyService
from vsis.hours.services import refresh_tallies
from vsis.volunteers.models import (
    Insurance,
    Membership,
    RecordBook,
    Training,
    Volunteer,
)


def vrow(person: Person, team: str = "A111", joined: Any = "112/03/01", **cells: Any):  # type: ignore[no-untyped-def]
    """A row in VOLUNTEER_HEADER order; keyword arguments name other cells."""
    values = {
        "身分證字號": person.national_id,
        "姓名": person.name,
        "性別": person.sex,
        "出生日期": person.birth.strftime("%Y/%m/%d"),
        "志工隊代碼": team,
        "加入日期": joined,
    }
    names = {
        "left": "離隊日期", "status": "志工狀態", "book": "紀錄冊編號",
        "issued": "發冊日期", "basic": "基礎訓練完訓日期",
        "special": "特殊訓練完訓日期", "insured_from": "保險起日",
        "insured_to": "保險迄日", "id": "身分證字號", "name": "姓名",
        "sex": "性別", "birth": "出生日期",
    }  # fmt: skip
    for key, value in cells.items():
        values[names[key]] = value
    return [values.get(header, "") for header in VOLUNTEER_HEADER]


def sheet(*rows: list[Any]) -> list[list[Any]]:
    return [["志工名冊"], [], VOLUNTEER_HEADER, *rows]


def test_a_person_on_two_rows_is_one_volunteer_with_two_memberships(
    tree: Tree, people: list[Person]
) -> None:
    wang, lin = people[0], people[1]
    outcome = run_import(
        "volunteers",
        sheet(
            vrow(
                wang,
                "A111",
                "112/03/01",
                status="服務中",
                book="B0001",
                issued="112/06/01",
                basic="112/04/15",
                special="112/05/20",
                insured_from="113/01/01",
                insured_to="113/12/31",
            ),
            vrow(wang, "A112", "113/02/01", special="113/02/20"),
            vrow(lin, "A121", "2023-09-01", left="2024-03-31", status="退出"),
        ),
    )
    assert outcome.ok, messages(outcome)
    assert counts(outcome) == {
        "志工": (2, 0, 0),
        "隊員資格": (3, 0, 0),
        "紀錄冊": (1, 0, 0),
        "教育訓練": (3, 0, 0),
        "保險": (1, 0, 0),
    }
    volunteer = Volunteer.objects.get(national_id=wang.national_id)
    assert (volunteer.name, volunteer.sex, volunteer.birth_date) == (
        wang.name,
        "M",
        wang.birth,
    )
    assert sorted(
        volunteer.memberships.values_list("team__code", "joined_on", "status")
    ) == [
        ("A111", dt.date(2023, 3, 1), "active"),
        ("A112", dt.date(2024, 2, 1), "active"),
    ]
    book = RecordBook.objects.get()
    assert (book.volunteer, book.number, book.issued_on, book.status) == (
        volunteer,
        "B0001",
        dt.date(2023, 6, 1),
        "first",
    )
    # A special training takes the service category of its row's team.
    assert sorted(
        Training.objects.values_list("kind", "completed_on", "category__name")
    ) == [
        ("basic", dt.date(2023, 4, 15), None),
        ("special", dt.date(2023, 5, 20), "衛生福利"),
        ("special", dt.date(2024, 2, 20), "文化"),
    ]
    insurance = Insurance.objects.get()
    assert (insurance.starts_on, insurance.ends_on) == (
        dt.date(2024, 1, 1),
        dt.date(2024, 12, 31),
    )
    left = Membership.objects.get(volunteer__national_id=lin.national_id)
    assert (left.left_on, left.status) == (dt.date(2024, 3, 31), "quit")


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("113/01/05", dt.date(2024, 1, 5)),
        ("1130105", dt.date(2024, 1, 5)),
        ("113.1.5", dt.date(2024, 1, 5)),
        ("１１３／０１／０５", dt.date(2024, 1, 5)),
        ("2024-01-05", dt.date(2024, 1, 5)),
        ("2024/1/5", dt.date(2024, 1, 5)),
        ("20240105", dt.date(2024, 1, 5)),
    ],
)
def test_each_date_form_is_read(
    tree: Tree, people: list[Person], written: str, expected: dt.date
) -> None:
    outcome = run_import("volunteers", sheet(vrow(people[0], joined=written)))
    assert outcome.ok, messages(outcome)
    assert Membership.objects.get().joined_on == expected


@pytest.mark.parametrize("fmt", ["xlsx", "ods", "xls"])
def test_real_date_cells_are_read_from_each_workbook_format(
    tree: Tree, people: list[Person], fmt: str
) -> None:
    person = people[2]
    row = vrow(person, joined=dt.date(2023, 3, 1), birth=person.birth)
    outcome = run_import("volunteers", sheet(row), fmt=fmt)
    assert outcome.ok, messages(outcome)
    volunteer = Volunteer.objects.get()
    assert volunteer.birth_date == person.birth
    assert volunteer.memberships.get().joined_on == dt.date(2023, 3, 1)


def test_lower_case_padded_and_full_width_ids_are_one_person(
    tree: Tree, people: list[Person]
) -> None:
    person = people[0]
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in person.national_id)
    outcome = run_import(
        "volunteers",
        sheet(
            vrow(person, "A111", id=f"  {person.national_id.lower()} "),
            vrow(person, "A112", id=full_width, sex="M"),
        ),
    )
    assert outcome.ok, messages(outcome)
    assert list(Volunteer.objects.values_list("national_id", flat=True)) == [
        person.national_id
    ]
    assert Membership.objects.count() == 2


def test_reimporting_the_same_file_changes_nothing(
    tree: Tree, people: list[Person]
) -> None:
    rows = sheet(
        vrow(
            people[0],
            book="B1",
            issued="112/06/01",
            basic="112/04/15",
            insured_from="113/01/01",
            insured_to="113/12/31",
        ),
        vrow(people[0], "A112", special="112/05/01"),
        vrow(people[1], "A121"),
    )
    assert run_import("volunteers", rows).ok
    stamps = sorted(Volunteer.objects.values_list("updated_at", flat=True))
    member_stamps = sorted(Membership.objects.values_list("updated_at", flat=True))
    again = run_import("volunteers", rows)
    assert counts(again) == {
        "志工": (0, 0, 2),
        "隊員資格": (0, 0, 3),
        "紀錄冊": (0, 0, 1),
        "教育訓練": (0, 0, 2),
        "保險": (0, 0, 1),
    }
    assert sorted(Volunteer.objects.values_list("updated_at", flat=True)) == stamps
    assert sorted(Membership.objects.values_list("updated_at", flat=True)) == (
        member_stamps
    )
    assert (Volunteer.objects.count(), Membership.objects.count()) == (2, 3)
    assert (Training.objects.count(), Insurance.objects.count()) == (2, 1)


def test_a_later_file_closes_a_membership(tree: Tree, people: list[Person]) -> None:
    assert run_import("volunteers", sheet(vrow(people[0]))).ok
    outcome = run_import(
        "volunteers", sheet(vrow(people[0], left="113/06/30", status=""))
    )
    assert counts(outcome)["隊員資格"] == (0, 1, 0)
    membership = Membership.objects.get()
    assert (membership.left_on, membership.status) == (dt.date(2024, 6, 30), "quit")


def test_a_new_phone_updates_the_person(tree: Tree, people: list[Person]) -> None:
    assert run_import("volunteers", sheet(vrow(people[0]))).ok
    rows = [
        ["志工名冊"],
        [*VOLUNTEER_HEADER, "電話"],
        [*vrow(people[0]), "0912-345678"],
    ]
    outcome = run_import("volunteers", rows)
    assert counts(outcome)["志工"] == (0, 1, 0)
    assert Volunteer.objects.get().phone == "0912-345678"


def future() -> str:
    return (timezone.localdate() + dt.timedelta(days=1)).strftime("%Y-%m-%d")


def bad_id(person: Person) -> str:
    last = int(person.national_id[-1])
    return person.national_id[:-1] + str((last + 1) % 10)


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"id": "bad"}, "欄位「身分證字號」：身分證字號格式不正確：BAD"),
        ({"name": ""}, "欄位「姓名」：必填"),
        ({"name": "  "}, "欄位「姓名」：必填"),
        ({"sex": "其他"}, "欄位「性別」：性別須為「男」或「女」：其他"),
        ({"birth": "113/02/30"}, "欄位「出生日期」：不存在的日期：113/02/30"),
        ({"birth": "1850-01-01"}, "欄位「出生日期」：日期不合理：1850-01-01"),
        ({"joined": "future"}, "欄位「加入日期」：日期不可晚於今天"),
        ({"joined": "1900/01/01"}, "欄位「加入日期」：加入日期早於出生日期"),
        ({"left": "112/01/01"}, "欄位「離隊日期」：離隊日期早於加入日期"),
        (
            {"left": "113/01/01", "status": "服務中"},
            "欄位「志工狀態」：已填離隊日期，志工狀態應為退出",
        ),
        (
            {"status": "休息"},
            "欄位「志工狀態」：志工狀態須為服務中、暫停中、實習中、退出之一：休息",
        ),
        ({"book": "B1"}, "欄位「發冊日期」：已填紀錄冊編號，須一併填發冊日期"),
        (
            {"issued": "112/06/01"},
            "欄位「紀錄冊編號」：已填發冊日期，須一併填紀錄冊編號",
        ),
        (
            {"insured_from": "113/01/01"},
            "欄位「保險迄日」：已填保險起日，須一併填保險迄日",
        ),
        (
            {"insured_from": "113/12/31", "insured_to": "113/01/01"},
            "欄位「保險迄日」：保險迄日早於保險起日",
        ),
        ({"team": "Z999"}, "欄位「志工隊代碼」：志工隊代碼不存在：Z999"),
        ({"team": "A110"}, "欄位「志工隊代碼」：A110 不是志工隊"),
    ],
)
def test_each_bad_volunteer_row_is_named(
    tree: Tree, people: list[Person], overrides: dict[str, str], error: str
) -> None:
    team = overrides.pop("team", "A111")
    joined = overrides.pop("joined", "112/03/01")
    if joined == "future":
        joined = future()
    outcome = run_import(
        "volunteers", sheet(vrow(people[0], team, joined, **overrides))
    )
    assert messages(outcome) == [f"第 4 列，{error}"]
    assert not Volunteer.objects.exists()


def test_a_wrong_check_digit_is_named(tree: Tree, people: list[Person]) -> None:
    wrong = bad_id(people[0])
    outcome = run_import("volunteers", sheet(vrow(people[0], id=wrong)))
    assert messages(outcome) == [
        f"第 4 列，欄位「身分證字號」：身分證字號檢查碼錯誤：{wrong}"
    ]


def test_a_sex_that_contradicts_the_id_is_refused(
    tree: Tree, people: list[Person]
) -> None:
    man = people[0]
    outcome = run_import("volunteers", sheet(vrow(man, sex="女")))
    assert messages(outcome) == [
        "第 4 列，欄位「性別」：性別與身分證字號不符（第 2 碼 1、8 為男，2、9 為女）"
    ]


def test_rows_of_one_person_must_agree(tree: Tree, people: list[Person]) -> None:
    person = people[0]
    outcome = run_import(
        "volunteers",
        sheet(
            vrow(person, "A111"),
            vrow(person, "A112", name=person.name + "子"),
            vrow(person, "A121", birth="1999/09/09"),
        ),
    )
    assert messages(outcome) == [
        "第 5 列，欄位「姓名」：與第 4 列的同一人姓名不同",
        "第 6 列，欄位「出生日期」：與第 4 列的同一人出生日期不同",
    ]


def test_rows_of_one_passport_holder_must_agree_on_the_sex(tree: Tree) -> None:
    # A passport number carries no sex digit, so only the rows can disagree.
    header = ["證號類別", *VOLUNTEER_HEADER[:6]]
    row = ["護照", "p1234567", "Anna Lee", "女", "1980-01-01", "A111", "112/03/01"]
    disagreeing = [*row[:3], "男", *row[4:5], "A112", row[6]]
    outcome = run_import("volunteers", [header, row, disagreeing])
    assert messages(outcome) == ["第 3 列，欄位「性別」：與第 2 列的同一人性別不同"]
    assert not Volunteer.objects.exists()

    agreeing = [*row[:5], "A112", row[6]]
    outcome = run_import("volunteers", [header, row, agreeing])
    assert outcome.ok, messages(outcome)
    person = Volunteer.objects.get()
    assert (person.national_id, person.sex) == ("P1234567", "F")
    assert person.memberships.count() == 2


def test_a_repeated_row_and_overlapping_spans_are_refused(
    tree: Tree, people: list[Person]
) -> None:
    person = people[0]
    outcome = run_import(
        "volunteers",
        sheet(
            vrow(person, "A111", "112/03/01"),
            vrow(person, "A111", "112/03/01"),
            vrow(person, "A111", "112/08/01"),
        ),
    )
    assert messages(outcome) == [
        "第 5 列：與第 4 列重複（同一人、同一志工隊、同一加入日期）",
        "第 6 列，欄位「加入日期」：與第 4 列同一志工隊的隊員資格期間重疊",
    ]


def test_rejoining_after_leaving_is_two_memberships(
    tree: Tree, people: list[Person]
) -> None:
    person = people[0]
    outcome = run_import(
        "volunteers",
        sheet(
            vrow(person, "A111", "110/01/01", left="110/12/31"),
            vrow(person, "A111", "112/01/01"),
        ),
    )
    assert outcome.ok, messages(outcome)
    assert Membership.objects.count() == 2


def test_a_span_overlapping_one_in_the_database_is_refused(
    tree: Tree, people: list[Person]
) -> None:
    person = people[0]
    assert run_import("volunteers", sheet(vrow(person, joined="111/01/01"))).ok
    outcome = run_import("volunteers", sheet(vrow(person, joined="112/05/01")))
    assert messages(outcome) == [
        "第 4 列，欄位「加入日期」："
        "與系統中既有的隊員資格期間重疊（加入日期 111/01/01）"
    ]


def test_a_record_book_number_belongs_to_one_person(
    tree: Tree, people: list[Person]
) -> None:
    outcome = run_import(
        "volunteers",
        sheet(
            vrow(people[0], book="B1", issued="112/06/01"),
            vrow(people[1], book="B1", issued="112/06/01"),
        ),
    )
    assert messages(outcome) == [
        "第 5 列，欄位「紀錄冊編號」：紀錄冊編號與第 4 列的他人相同"
    ]
    assert run_import(
        "volunteers", sheet(vrow(people[0], book="B1", issued="112/06/01"))
    ).ok
    outcome = run_import(
        "volunteers", sheet(vrow(people[1], book="B1", issued="112/06/01"))
    )
    assert messages(outcome) == ["第 4 列，欄位「紀錄冊編號」：紀錄冊編號已屬其他志工"]


def test_a_person_who_differs_from_the_database_is_refused(
    tree: Tree, people: list[Person]
) -> None:
    person = people[1]
    assert run_import("volunteers", sheet(vrow(person))).ok
    outcome = run_import(
        "volunteers",
        sheet(vrow(person, "A112", name="另一個名字", birth="1988/08/08")),
    )
    assert messages(outcome) == [
        "第 4 列，欄位「姓名」：姓名與系統中此身分證字號的資料不同；"
        "如為更正，請勾選「更正個人資料」",
        "第 4 列，欄位「出生日期」：出生日期與系統中此身分證字號的資料不同；"
        "如為更正，請勾選「更正個人資料」",
    ]
    assert Membership.objects.count() == 1


def test_correcting_a_person_carries_the_sex_into_the_tallies(
    tree: Tree, people: list[Person]
) -> None:
    # An old-style resident number (second character A-D) encodes no sex, so
    # the sex in the database may be wrong and corrected.
    prefix = "AC0000001"
    resident = Person(
        prefix + str(check_digit(prefix)), "艾蜜莉", "男", dt.date(1990, 1, 1)
    )
    assert run_import("volunteers", sheet(vrow(resident, joined="112/01/01"))).ok
    volunteer = Volunteer.objects.get()
    ServiceRecord.objects.create(
        volunteer=volunteer,
        team=tree.hospital_team,
        served_on=dt.date(2024, 1, 5),
        minutes=120,
    )
    refresh_tallies([(tree.hospital_team.pk, dt.date(2024, 1, 1))])
    corrected = sheet(vrow(resident, joined="112/01/01", sex="女", name="艾蜜莉．陳"))
    refused = run_import("volunteers", corrected)
    assert not refused.ok
    outcome = run_import("volunteers", corrected, correct_people=True)
    assert counts(outcome)["志工"] == (0, 1, 0)
    volunteer.refresh_from_db()
    assert (volunteer.sex, volunteer.name) == ("F", "艾蜜莉．陳")
    assert list(MonthlyService.objects.values_list("sex", flat=True)) == ["F"]
    assert list(YearlyService.objects.values_list("sex", flat=True)) == ["F"]


def test_a_person_serving_outside_the_scope_cannot_be_corrected(
    personas: Personas, people: list[Person]
) -> None:
    person = people[0]
    assert run_import(
        "volunteers", sheet(vrow(person, "A111"), vrow(person, "B111"))
    ).ok
    outcome = run_import(
        "volunteers",
        sheet(vrow(person, "A111", name="新名字")),
        actor=personas.county_clerk,
        correct_people=True,
    )
    assert messages(outcome) == [
        "第 4 列，欄位「身分證字號」：此志工也在您管轄範圍外的志工隊服務，"
        "無法更正個人資料，請洽上層單位"
    ]


@pytest.mark.parametrize(
    ("persona", "team", "allowed"),
    [
        ("unit_clerk", "A111", True),
        ("unit_clerk", "A112", True),
        ("unit_clerk", "A121", False),
        ("county_clerk", "A121", True),
        ("other_county_clerk", "A111", False),
        ("other_county_clerk", "B111", True),
        ("superuser", "B111", True),
    ],
)
def test_volunteers_join_only_teams_in_scope(
    personas: Personas, people: list[Person], persona: str, team: str, allowed: bool
) -> None:
    outcome = run_import(
        "volunteers", sheet(vrow(people[0], team)), actor=getattr(personas, persona)
    )
    if allowed:
        assert outcome.ok, messages(outcome)
    else:
        assert messages(outcome) == ["第 4 列，欄位「志工隊代碼」：不在您的管轄範圍"]
        assert not Volunteer.objects.exists()


def test_one_bad_row_writes_nothing(tree: Tree, people: list[Person]) -> None:
    rows = [vrow(person, "A111") for person in people[:6]]
    rows.append(vrow(people[6], "A111", name=""))
    outcome = run_import("volunteers", sheet(*rows))
    assert messages(outcome) == ["第 10 列，欄位「姓名」：必填"]
    assert not Volunteer.objects.exists() and not Membership.objects.exists()


def test_a_person_wholly_in_scope_is_corrected_by_the_county(
    personas: Personas, people: list[Person]
) -> None:
    person = people[0]
    assert run_import(
        "volunteers", sheet(vrow(person, "A111"), vrow(person, "A121"))
    ).ok
    outcome = run_import(
        "volunteers",
        sheet(vrow(person, "A111", name="新名字")),
        actor=personas.county_clerk,
        correct_people=True,
    )
    assert outcome.ok, messages(outcome)
    assert Volunteer.objects.get().name == "新名字"


def test_the_number_of_queries_does_not_grow_with_the_rows(tree: Tree) -> None:
    import random

    from vsis.core.national_id import generate_id

    rng = random.Random(7)

    def file_of(size: int) -> list[list[Any]]:
        rows = []
        for index in range(size):
            sex = "M" if index % 2 else "F"
            person = Person(
                generate_id(rng, sex), f"志工{index}", "男" if sex == "M" else "女",
                dt.date(1980, 1, 1),
            )  # fmt: skip
            rows.append(
                vrow(person, "A111", basic="112/04/15", book=f"N{size}-{index}",
                     issued="112/06/01", insured_from="113/01/01",
                     insured_to="113/12/31")
            )  # fmt: skip
            rows.append(vrow(person, "A112", special="112/05/20"))
        return sheet(*rows)

    small, large = file_of(5), file_of(300)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert run_import("volunteers", small).ok
    with CaptureQueriesContext(connection) as many:
        assert run_import("volunteers", large).ok
    # Look-ups and inserts are batched (SQLite caps an INSERT at 999 values,
    # so a few more statements); one query per row would add 600 or more.
    extra = len(many.captured_queries) - len(few.captured_queries)
    assert extra < 30, [q["sql"][:80] for q in many.captured_queries]
