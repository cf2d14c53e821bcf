"""The rows of both VR reports, against the hand-worked figures of conftest.py."""

import datetime as dt
from decimal import Decimal

import pytest

from tests.reports.conftest import AS_OF, YEAR, ReportData
from vsis.hours.models import ServiceRecord
from vsis.hours.services import refresh_tallies
from vsis.reports.builders import build_age_report, build_service_report
from vsis.reports.params import AgeParams, ReportParamError, ServiceParams
from vsis.reports.queries import AgeRow, ServiceRow
from vsis.volunteers.models import Membership, MembershipStatus

D = dt.date


def age(**brackets: int) -> AgeRow:
    """age(m6=1, f5=1): men in bracket 6, women in bracket 5."""
    row = AgeRow()
    for key, count in brackets.items():
        side = row.male if key[0] == "m" else row.female
        side[int(key[1:])] = count
    return row


def age_rows(**params: object) -> list[tuple[str, str, int, AgeRow]]:
    report = build_age_report(AgeParams(as_of=AS_OF, **params))  # type: ignore[arg-type]
    return [(r.code, r.kind, r.depth, r.figures) for r in report.rows()]


A111 = age(m6=1, m1=1, f5=1, f2=1, f3=1)
A112 = age(m6=1)
A121 = age(m0=1, f5=1)


def test_age_rows_in_tree_order_with_subtotals_and_total(data: ReportData) -> None:
    assert age_rows(unit="A000") == [
        ("A111", "team", 3, A111),
        ("A112", "team", 3, A112),
        ("A113", "team", 3, AgeRow()),  # nobody counted: a row of zeros
        ("A110", "subtotal", 2, age(m6=2, m1=1, f5=1, f2=1, f3=1)),
        ("A121", "team", 3, A121),
        ("A120", "subtotal", 2, A121),
        ("A100", "subtotal", 1, age(m6=2, m1=1, m0=1, f5=2, f2=1, f3=1)),
        ("A000", "total", 0, age(m6=2, m1=1, m0=1, f5=2, f2=1, f3=1)),
    ]


def test_age_rows_with_dedupe_count_each_person_once_per_row(data: ReportData) -> None:
    # p1 is in A111 and A112, p2 in A111 and A121: once in each subtotal.
    assert age_rows(unit="A000", dedupe=True) == [
        ("A111", "team", 3, A111),
        ("A112", "team", 3, A112),
        ("A113", "team", 3, AgeRow()),
        ("A110", "subtotal", 2, A111),
        ("A121", "team", 3, A121),
        ("A120", "subtotal", 2, A121),
        ("A100", "subtotal", 1, age(m6=1, m1=1, m0=1, f5=1, f2=1, f3=1)),
        ("A000", "total", 0, age(m6=1, m1=1, m0=1, f5=1, f2=1, f3=1)),
    ]


def test_closed_and_not_yet_opened_teams(data: ReportData) -> None:
    codes = [code for code, *_ in age_rows(unit="A110")]
    assert codes == ["A111", "A112", "A113", "A110"]
    later = build_age_report(AgeParams(unit="A110", as_of=D(2025, 1, 1)))
    assert [r.code for r in later.rows()] == ["A111", "A112", "A113", "A115", "A110"]
    # A closed team still shows when someone is counted in it.
    data.people["p3"].memberships.update(team=data.closed_team)
    codes = [code for code, *_ in age_rows(unit="A110")]
    assert codes == ["A111", "A112", "A113", "A114", "A110"]


def test_without_subunits(data: ReportData) -> None:
    assert age_rows(unit="A110", include_subunits=False) == [
        ("A111", "team", 1, A111),
        ("A112", "team", 1, A112),
        ("A113", "team", 1, AgeRow()),
        ("A110", "total", 0, age(m6=2, m1=1, f5=1, f2=1, f3=1)),
    ]
    # No team directly under the county: the total alone, all zeros.
    assert age_rows(unit="A000", include_subunits=False) == [
        ("A000", "total", 0, AgeRow())
    ]
    assert age_rows(unit="A110", include_subunits=False, dedupe=True)[-1][3] == A111


def test_a_team_chosen_as_the_unit(data: ReportData) -> None:
    assert age_rows(unit="A112") == [
        ("A112", "team", 1, A112),
        ("A112", "total", 0, A112),
    ]


def test_age_conditions(data: ReportData) -> None:
    culture = age_rows(unit="A000", category="文化")
    assert [(code, kind) for code, kind, *_ in culture] == [
        ("A112", "team"),
        ("A110", "subtotal"),
        ("A121", "team"),
        ("A120", "subtotal"),
        ("A100", "subtotal"),
        ("A000", "total"),
    ]
    assert culture[-1][3] == age(m6=1, m0=1, f5=1)
    women = age_rows(unit="A000", sex="F")
    assert women[-1][3] == age(f5=2, f2=1, f3=1)
    suspended_or_intern = age_rows(
        unit="A000", statuses=(MembershipStatus.SUSPENDED, MembershipStatus.INTERN)
    )
    assert suspended_or_intern[0] == ("A111", "team", 3, age(m1=1, f3=1))
    assert suspended_or_intern[-1][3] == age(m1=1, f3=1)


def test_the_reference_date_moves_people_between_brackets(data: ReportData) -> None:
    # On 2024-12-30 p1 is 64 (55-64), p4 is 16 and p6 has not left yet.
    day_before = build_age_report(AgeParams(unit="A111", as_of=D(2024, 12, 30)))
    team = next(iter(day_before.rows()))
    assert team.figures == age(m5=1, m1=1, m3=1, f5=1, f2=1, f3=1)


def test_unknown_unit_or_category(data: ReportData) -> None:
    with pytest.raises(ReportParamError, match="查無單位代碼：Z999"):
        build_age_report(AgeParams(unit="Z999", as_of=AS_OF))
    with pytest.raises(ReportParamError, match="查無服務類別：星際"):
        build_age_report(AgeParams(unit="A000", as_of=AS_OF, category="星際"))


def test_age_chart_is_the_total_row(data: ReportData) -> None:
    report = build_age_report(AgeParams(unit="A000", as_of=AS_OF, dedupe=True))
    with pytest.raises(RuntimeError):
        report.chart()
    list(report.rows())
    chart = report.chart()
    assert chart.kind == "pyramid"
    assert chart.series[0].name == "男"
    assert chart.series[0].values == (1, 1, 0, 0, 0, 0, 1)
    assert chart.series[1].values == (0, 0, 1, 1, 0, 1, 0)
    assert report.row_count == 8


# --- service ---------------------------------------------------------------------


def service_rows(**params: object) -> list[tuple[str, str, ServiceRow]]:
    start, end = params.pop("period", YEAR)  # type: ignore[misc]
    report = build_service_report(ServiceParams(start=start, end=end, **params))  # type: ignore[arg-type]
    return [(r.code, r.kind, r.figures) for r in report.rows()]


S111 = ServiceRow(1, 2, 4, 90, 66, 13)
S112 = ServiceRow(1, 0, 1, 61, 0, 5)
S121 = ServiceRow(0, 1, 1, 0, 30, 1)


def test_service_rows(data: ReportData) -> None:
    assert service_rows(unit="A000") == [
        ("A111", "team", S111),
        ("A112", "team", S112),
        ("A113", "team", ServiceRow()),
        ("A110", "subtotal", ServiceRow(2, 2, 5, 151, 66, 18)),
        ("A121", "team", S121),
        ("A120", "subtotal", S121),
        ("A100", "subtotal", ServiceRow(2, 3, 6, 151, 96, 19)),
        ("A000", "total", ServiceRow(2, 3, 6, 151, 96, 19)),
    ]


def test_service_rows_with_dedupe(data: ReportData) -> None:
    # Persons once per row (p1 in A111+A112, p2 in A111+A121); hours stay sums.
    assert service_rows(unit="A000", dedupe=True) == [
        ("A111", "team", S111),
        ("A112", "team", S112),
        ("A113", "team", ServiceRow()),
        ("A110", "subtotal", ServiceRow(1, 2, 5, 151, 66, 18)),
        ("A121", "team", S121),
        ("A120", "subtotal", S121),
        ("A100", "subtotal", ServiceRow(1, 2, 6, 151, 96, 19)),
        ("A000", "total", ServiceRow(1, 2, 6, 151, 96, 19)),
    ]


def test_service_period_edges_and_conditions(data: ReportData) -> None:
    # 2023-12-31 .. 2024-01-01: p3's record on the first day, p1's on the last.
    edges = service_rows(unit="A111", period=(D(2023, 12, 31), D(2024, 1, 1)))
    assert edges[0] == ("A111", "team", ServiceRow(1, 1, 2, 90, 60, 12))
    # 29 February alone.
    leap = service_rows(unit="A111", period=(D(2024, 2, 29), D(2024, 2, 29)))
    assert leap[0][2] == ServiceRow(0, 1, 1, 0, 20, 0)
    culture = service_rows(unit="A000", category="文化")
    assert [code for code, *_ in culture] == [
        "A112",
        "A110",
        "A121",
        "A120",
        "A100",
        "A000",
    ]
    assert culture[-1][2] == ServiceRow(1, 1, 2, 61, 30, 6)
    direct = service_rows(unit="A110", include_subunits=False)
    assert [code for code, *_ in direct] == ["A111", "A112", "A113", "A110"]
    # A115 opens in 2025: listed (with zeros) only for a period that reaches it.
    next_year = service_rows(unit="A110", period=(D(2024, 6, 1), D(2025, 1, 1)))
    assert [code for code, *_ in next_year] == [
        "A111",
        "A112",
        "A113",
        "A115",
        "A110",
    ]


def test_a_volunteer_who_has_left_since_still_counts_where_he_served(
    data: ReportData,
) -> None:
    # p6 (男) served in A111 in June 2024, left it on 2024-12-30 (退出) and
    # joined A121 on 2025-01-01, where he served in February 2025.
    p6, tree = data.people["p6"], data.tree
    Membership.objects.create(
        volunteer=p6, team=tree.library_team, joined_on=D(2025, 1, 1)
    )
    records = [
        ServiceRecord(
            volunteer=p6, team=team, served_on=day, minutes=minutes, persons_served=n
        )
        for team, day, minutes, n in [
            (tree.hospital_team, D(2024, 6, 1), 30, 2),
            (tree.library_team, D(2025, 2, 1), 60, 1),
        ]
    ]
    ServiceRecord.objects.bulk_create(records)
    refresh_tallies((r.team_id, r.served_on) for r in records)

    # In the period also: p1 in A112 on 2024-06-15 (61 min, 5) and p2 in
    # A111 on 2024-12-31 (45 min, 3).
    period = (D(2024, 6, 1), D(2025, 2, 28))
    rows = {
        code: figures for code, _, figures in service_rows(unit="A000", period=period)
    }
    assert rows["A111"] == ServiceRow(1, 1, 2, 30, 45, 5)
    assert rows["A121"] == ServiceRow(1, 0, 1, 60, 0, 1)
    assert rows["A000"] == ServiceRow(3, 1, 4, 151, 45, 11)
    # 歸戶: p6 is one man in the total, whichever teams he served in.
    deduped = service_rows(unit="A000", period=period, dedupe=True)
    assert deduped[-1] == ("A000", "total", ServiceRow(2, 1, 4, 151, 45, 11))
    # June 2024 alone: he is in A111's figures though no longer a member.
    june = service_rows(unit="A111", period=(D(2024, 6, 1), D(2024, 6, 30)))
    assert june[0] == ("A111", "team", ServiceRow(1, 0, 1, 30, 0, 2))


def test_the_other_county_is_not_mixed_in(data: ReportData) -> None:
    rows = service_rows(unit="B000")
    assert rows[-1] == ("B000", "total", ServiceRow(0, 1, 1, 0, 120, 4))


def test_service_chart_is_hours_by_team_category(data: ReportData) -> None:
    report = build_service_report(
        ServiceParams(unit="A000", start=YEAR[0], end=YEAR[1])
    )
    list(report.rows())
    chart = report.chart()
    assert chart.kind == "bars"
    # 衛生福利: A111 156 min = 2.6 h (A113 none); 文化: A112 61 + A121 30 = 91 min.
    assert dict(zip(chart.categories, chart.series[0].values, strict=True)) == {
        "衛生福利": 2.6,
        "文化": 1.52,
    }
    assert chart.categories == ("衛生福利", "文化")  # the list's order


def test_service_params_refuse_an_inverted_period() -> None:
    with pytest.raises(ReportParamError, match="服務日期迄不可早於服務日期起"):
        ServiceParams(unit="A000", start=D(2024, 2, 1), end=D(2024, 1, 31))


def test_params_from_a_job_refuse_dates_out_of_range() -> None:
    with pytest.raises(ReportParamError, match="基準日須在民國元年"):
        AgeParams.from_json({"unit": "A000", "as_of": "0001-01-01"})
    with pytest.raises(ReportParamError, match="服務日期迄須在民國元年"):
        ServiceParams.from_json(
            {"unit": "A000", "from": "2024-01-01", "to": "3000-01-01"}
        )
    with pytest.raises(ReportParamError, match="基準日不正確：昨天"):
        AgeParams.from_json({"unit": "A000", "as_of": "昨天"})


def test_hours_rendering() -> None:
    from vsis.reports.definitions import hours_number, hours_per_person

    assert hours_number(1) == Decimal("0.016667")
    assert hours_number(150) == Decimal("2.5")
    assert str(hours_number(1200)) == "20"
    assert hours_number(0) == 0
    # Exact to the minute at national size: 6,192,000,001 minutes.
    big = hours_number(6_192_000_001)
    assert round(big * 60) == 6_192_000_001
    assert hours_per_person(247, 5) == Decimal("0.82")
    assert hours_per_person(61, 1) == Decimal("1.02")
    assert hours_per_person(10, 0) is None
