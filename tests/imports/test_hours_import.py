import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import Personas, Tree
from tests.imports.conftest import HOURS_HEADER, Person, counts, messages, run_import
from vsis.hours.models import MonthlyService, ServiceRecord, YearlyService
from vsis.hours.services import rebuild_all_tallies
from vsis.volunteers.models import Membership, Volunteer


@pytest.fixture
def members(tree: Tree, people: list[Person]) -> list[Person]:
    """people[0]: A111 since 2023-03-01 and A121 since 2024-01-01;
    people[1]: A111 from 2023-01-01 to 2024-06-30; people[2]: no team."""
    made = {}
    for person in people[:3]:
        made[person.national_id] = Volunteer.objects.create(
            national_id=person.national_id,
            name=person.name,
            sex="M" if person.sex == "男" else "F",
            birth_date=person.birth,
        )
    first, second = made[people[0].national_id], made[people[1].national_id]
    Membership.objects.create(
        volunteer=first, team=tree.hospital_team, joined_on=dt.date(2023, 3, 1)
    )
    Membership.objects.create(
        volunteer=first, team=tree.library_team, joined_on=dt.date(2024, 1, 1)
    )
    Membership.objects.create(
        volunteer=second,
        team=tree.hospital_team,
        joined_on=dt.date(2023, 1, 1),
        left_on=dt.date(2024, 6, 30),
        status="quit",
    )
    return people[:3]


def hrow(person: Person, team: str, day: Any, **cells: Any) -> list[Any]:
    values = {"身分證字號": person.national_id, "姓名": person.name}
    values |= {"志工隊代碼": team, "服務日期": day}
    names = {
        "start": "起時", "end": "迄時", "hours": "服務時數", "served": "服務人次",
        "item": "服務項目", "note": "備註", "id": "身分證字號", "name": "姓名",
    }  # fmt: skip
    for key, value in cells.items():
        values[names[key]] = value
    return [values.get(header, "") for header in HOURS_HEADER]


def sheet(*rows: list[Any]) -> list[list[Any]]:
    return [["服務紀錄"], HOURS_HEADER, *rows]


def test_records_are_written_with_exact_minutes_and_tallies(
    tree: Tree, members: list[Person]
) -> None:
    wang, lin = members[0], members[1]
    outcome = run_import(
        "hours",
        sheet(
            hrow(wang, "A111", "113/01/06", start="09:00", end="12:00", hours="3",
                 served="25", item="掛號引導"),
            hrow(wang, "A111", "113/01/20", start="13:30", end="17:00", served="12",
                 note="時數依起訖計算"),
            hrow(lin, "A111", "2024-01-10", hours="2.5"),
            hrow(wang, "A121", "113.2.10", hours="1.5", served="40"),
        ),
    )  # fmt: skip
    assert outcome.ok, messages(outcome)
    assert counts(outcome) == {"服務紀錄": (4, 0, 0)}
    records = {
        (r.team.code, r.served_on): r
        for r in ServiceRecord.objects.select_related("team")
    }
    first = records[("A111", dt.date(2024, 1, 6))]
    assert (first.start_time, first.end_time, first.minutes) == (
        dt.time(9, 0),
        dt.time(12, 0),
        180,
    )
    assert (first.persons_served, first.item) == (25, "掛號引導")
    by_times = records[("A111", dt.date(2024, 1, 20))]
    assert (by_times.minutes, by_times.note) == (210, "時數依起訖計算")
    assert records[("A111", dt.date(2024, 1, 10))].minutes == 150
    assert records[("A111", dt.date(2024, 1, 10))].persons_served == 0
    assert records[("A121", dt.date(2024, 2, 10))].minutes == 90
    assert all(r.source_key and len(r.source_key) == 64 for r in records.values())
    # January at the hospital team: wang 180 + 210 minutes in 2 records,
    # 37 persons served; lin 150 minutes, 1 record.
    january = {
        m.volunteer.national_id: (m.records, m.minutes, m.persons_served, m.sex)
        for m in MonthlyService.objects.filter(
            team=tree.hospital_team, month=dt.date(2024, 1, 1)
        ).select_related("volunteer")
    }
    assert january == {
        wang.national_id: (2, 390, 37, "M"),
        lin.national_id: (1, 150, 0, "F"),
    }
    assert sorted(
        YearlyService.objects.filter(year=2024).values_list("team__code", "minutes")
    ) == [("A111", 150), ("A111", 390), ("A121", 90)]


@pytest.mark.parametrize("fmt", ["xlsx", "ods", "xls"])
def test_real_date_and_time_cells_are_read(members: list[Person], fmt: str) -> None:
    row = hrow(
        members[0],
        "A111",
        dt.date(2024, 3, 1),
        start=dt.time(8, 30),
        end=dt.time(11, 45),
        served=3,
    )
    outcome = run_import("hours", sheet(row), fmt=fmt)
    assert outcome.ok, messages(outcome)
    record = ServiceRecord.objects.get()
    assert (record.served_on, record.start_time, record.end_time) == (
        dt.date(2024, 3, 1),
        dt.time(8, 30),
        dt.time(11, 45),
    )
    assert (record.minutes, record.persons_served) == (195, 3)


def test_compact_and_full_width_times_and_ids_are_read(members: list[Person]) -> None:
    person = members[0]
    outcome = run_import(
        "hours",
        sheet(
            hrow(person, "A111", "1130301", start="0900", end="1130",
                 id=f" {person.national_id.lower()}"),
            hrow(person, "A111", "１１３／０３／０２", start="０９：００",
                 end="１０：１５", served="１２"),
        ),
    )  # fmt: skip
    assert outcome.ok, messages(outcome)
    assert sorted(ServiceRecord.objects.values_list("minutes", "persons_served")) == [
        (75, 12),
        (150, 0),
    ]


def rows_of_three(members: list[Person]) -> list[list[Any]]:
    wang, lin = members[0], members[1]
    return sheet(
        hrow(wang, "A111", "113/01/06", start="09:00", end="12:00"),
        hrow(wang, "A111", "113/01/06", start="13:00", end="15:00"),
        hrow(lin, "A111", "113/02/01", hours="2"),
    )


def test_reimporting_the_same_file_changes_nothing(members: list[Person]) -> None:
    assert run_import("hours", rows_of_three(members)).ok
    stamps = sorted(ServiceRecord.objects.values_list("updated_at", flat=True))
    tallies = sorted(MonthlyService.objects.values_list("pk", "minutes"))
    again = run_import("hours", rows_of_three(members))
    assert counts(again) == {"服務紀錄": (0, 0, 3)}
    assert ServiceRecord.objects.count() == 3
    assert sorted(ServiceRecord.objects.values_list("updated_at", flat=True)) == stamps
    # No tally was rebuilt (a rebuild would give the rows new keys).
    assert sorted(MonthlyService.objects.values_list("pk", "minutes")) == tallies


def test_a_corrected_file_updates_the_record_and_its_tally(
    tree: Tree, members: list[Person]
) -> None:
    lin = members[1]
    assert run_import("hours", sheet(hrow(lin, "A111", "113/02/01", hours="2"))).ok
    outcome = run_import(
        "hours", sheet(hrow(lin, "A111", "113/02/01", hours="3", served="4"))
    )
    assert counts(outcome) == {"服務紀錄": (0, 1, 0)}
    record = ServiceRecord.objects.get()
    assert (record.minutes, record.persons_served) == (180, 4)
    tally = MonthlyService.objects.get(month=dt.date(2024, 2, 1))
    assert (tally.records, tally.minutes, tally.persons_served) == (1, 180, 4)


def test_the_tallies_equal_a_rebuild_from_the_records(members: list[Person]) -> None:
    assert run_import("hours", rows_of_three(members)).ok
    kept = sorted(
        MonthlyService.objects.values_list(
            "team_id", "volunteer_id", "month", "records", "minutes"
        )
    )
    rebuild_all_tallies()
    assert kept == sorted(
        MonthlyService.objects.values_list(
            "team_id", "volunteer_id", "month", "records", "minutes"
        )
    )


def future() -> str:
    return (timezone.localdate() + dt.timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("who", "team", "day", "cells", "error"),
    [
        (0, "A111", "113/01/06", {"hours": "1.333"},
         "欄位「服務時數」：服務時數須為整數分鐘（例如 1.5 小時或 1:30）"),
        (0, "A111", "113/01/06", {"hours": "25"},
         "欄位「服務時數」：服務時數不可超過 24 小時"),
        (0, "A111", "113/01/06", {"start": "12:00", "end": "09:00"},
         "欄位「迄時」：迄時須晚於起時"),
        (0, "A111", "113/01/06", {"start": "09:00", "hours": "1"},
         "欄位「迄時」：起時與迄時須同時填寫"),
        (0, "A111", "113/01/06", {},
         "欄位「服務時數」：必填（或填寫起時與迄時）"),
        (0, "A111", "113/01/06", {"start": "09:00", "end": "10:00", "hours": "2"},
         "欄位「服務時數」：服務時數超過起迄時間"),
        (0, "A111", "113/01/06", {"hours": "2", "served": "-1"},
         "欄位「服務人次」：不可為負數"),
        (0, "A111", "113/01/06", {"hours": "2", "item": "長" * 20000},
         "欄位「服務項目」：內容過長（上限 100 字，此格 20000 字）"),
        (0, "A111", "future", {"hours": "2"}, "欄位「服務日期」：日期不可晚於今天"),
        (0, "A111", "113/02/30", {"hours": "2"},
         "欄位「服務日期」：不存在的日期：113/02/30"),
        (0, "Z999", "113/01/06", {"hours": "2"},
         "欄位「志工隊代碼」：志工隊代碼不存在：Z999"),
        (0, "A110", "113/01/06", {"hours": "2"}, "欄位「志工隊代碼」：A110 不是志工隊"),
        (0, "A111", "112/02/28", {"hours": "2"},
         "欄位「服務日期」：服務日期早於此志工加入這個志工隊的日期（112/03/01）"),
        (1, "A111", "113/07/01", {"hours": "2"},
         "欄位「服務日期」：服務日期晚於此志工離開這個志工隊的日期（113/06/30）"),
        (0, "A112", "113/01/06", {"hours": "2"},
         "欄位「志工隊代碼」：此志工不是這個志工隊的隊員"),
        (2, "A111", "113/01/06", {"hours": "2"},
         "欄位「志工隊代碼」：此志工不是這個志工隊的隊員"),
        (0, "A111", "113/01/06", {"hours": "2", "name": "別人"},
         "欄位「姓名」：姓名與此身分證字號的志工不符"),
        (0, "A111", "113/01/06", {"hours": "2", "name": ""}, "欄位「姓名」：必填"),
    ],
)  # fmt: skip
def test_each_bad_service_row_is_named(
    members: list[Person],
    who: int,
    team: str,
    day: str,
    cells: dict[str, str],
    error: str,
) -> None:
    if day == "future":
        day = future()
    outcome = run_import("hours", sheet(hrow(members[who], team, day, **cells)))
    assert messages(outcome) == [f"第 3 列，{error}"]
    assert not ServiceRecord.objects.exists()


def test_service_on_the_leaving_day_counts(members: list[Person]) -> None:
    outcome = run_import("hours", sheet(hrow(members[1], "A111", "113/06/30", hours=1)))
    assert outcome.ok, messages(outcome)


def test_an_unknown_person_must_be_imported_first(
    members: list[Person], people: list[Person]
) -> None:
    stranger = people[5]
    outcome = run_import("hours", sheet(hrow(stranger, "A111", "113/01/06", hours=1)))
    assert messages(outcome) == [
        "第 3 列，欄位「身分證字號」：查無此志工，請先匯入志工資料或新增志工"
    ]


def test_a_wrong_check_digit_is_named(members: list[Person]) -> None:
    person = members[0]
    wrong = person.national_id[:-1] + str((int(person.national_id[-1]) + 1) % 10)
    outcome = run_import(
        "hours", sheet(hrow(person, "A111", "113/01/06", hours=1, id=wrong))
    )
    assert messages(outcome) == [
        f"第 3 列，欄位「身分證字號」：身分證字號檢查碼錯誤：{wrong}"
    ]


def test_a_repeated_row_is_refused(members: list[Person]) -> None:
    row = hrow(members[0], "A111", "113/01/06", hours="2", item="導覽")
    outcome = run_import("hours", sheet(row, [], row))
    assert messages(outcome) == [
        "第 5 列：與第 3 列重複（同一人、同一志工隊、同一日期、同一起迄時間與服務項目）"
    ]


def test_a_file_without_hours_or_times_is_refused_at_its_header(
    members: list[Person],
) -> None:
    rows = [["身分證字號", "姓名", "志工隊代碼", "服務日期"], ["x", "y", "z", "w"]]
    outcome = run_import("hours", rows)
    assert messages(outcome) == ["第 1 列，欄位「服務時數」：缺少此欄位"]


def test_one_bad_row_writes_nothing(members: list[Person]) -> None:
    rows = rows_of_three(members)
    rows.append(hrow(members[0], "A111", "113/01/07", hours="30"))
    outcome = run_import("hours", rows)
    assert messages(outcome) == ["第 6 列，欄位「服務時數」：服務時數不可超過 24 小時"]
    assert not ServiceRecord.objects.exists()
    assert not MonthlyService.objects.exists()


@pytest.mark.parametrize(
    ("persona", "team", "allowed"),
    [
        ("unit_clerk", "A111", True),
        ("unit_clerk", "A121", False),
        ("county_clerk", "A121", True),
        ("other_county_clerk", "A111", False),
        ("superuser", "A121", True),
    ],
)
def test_hours_are_written_only_for_teams_in_scope(
    personas: Personas, members: list[Person], persona: str, team: str, allowed: bool
) -> None:
    row = hrow(members[0], team, "113/03/01", hours="2")
    outcome = run_import("hours", sheet(row), actor=getattr(personas, persona))
    if allowed:
        assert outcome.ok, messages(outcome)
    else:
        assert messages(outcome) == ["第 3 列，欄位「志工隊代碼」：不在您的管轄範圍"]
        assert not ServiceRecord.objects.exists()


def test_the_fast_insert_fills_every_column_of_a_record() -> None:
    from vsis.imports.kinds.hours import RECORD_COLUMNS

    columns = {f.attname for f in ServiceRecord._meta.concrete_fields}
    assert set(RECORD_COLUMNS) == columns - {"id"}


def test_the_number_of_queries_does_not_grow_with_the_rows(
    members: list[Person],
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def file_of(days: int, start: dt.date) -> list[list[Any]]:
        return sheet(
            *[
                hrow(members[0], "A111", start + dt.timedelta(days=d), hours="2")
                for d in range(days)
            ]
        )

    with CaptureQueriesContext(connection) as few:
        assert run_import("hours", file_of(3, dt.date(2024, 1, 1))).ok
    with CaptureQueriesContext(connection) as many:
        assert run_import("hours", file_of(300, dt.date(2023, 4, 1))).ok
    # The tallies are rebuilt per touched month: 300 days cover 10 more.
    refresh_per_month = 2
    assert (
        len(many.captured_queries)
        <= len(few.captured_queries) + 10 * refresh_per_month + 4
    )
