"""The benchmark's pieces that need no national database: the scopes, the
import file, the comparison with DuckDB and the table."""

import datetime as dt
from pathlib import Path

import pytest
from django.db.models import Q
from python_calamine import CalamineWorkbook

from tests.seed.test_bench_duck import duck  # noqa: F401  (fixture)
from vsis.core.rocdate import parse_date
from vsis.seed.bench.cases import (
    IMPORT_HEADER,
    BenchDates,
    pick_scopes,
    write_import_file,
)
from vsis.seed.bench.duck import DuckSide
from vsis.seed.bench.runner import Bench, BenchConfig, CaseResult, format_table
from vsis.seed.models import SeedRun
from vsis.seed.services import SeedSummary
from vsis.units.models import Level, Unit
from vsis.volunteers.models import Membership, MembershipStatus


@pytest.mark.django_db
def test_scopes_are_the_tree_the_biggest_county_and_its_busiest_unit(
    seeded_demo: SeedSummary,
) -> None:
    scopes = pick_scopes()
    assert scopes["tree"].path == Unit.objects.get(parent=None).path
    assert scopes["county"].name == "示範市政府"  # 36 teams against 20
    unit = Unit.objects.get(pk=scopes["unit"].unit_id)
    assert unit.level == Level.USING
    assert unit.path.startswith(scopes["county"].path)
    members = Membership.objects.filter(team__parent=unit).count()
    for other in Unit.objects.filter(level=Level.USING, path__startswith=unit.path[:4]):
        assert Membership.objects.filter(team__parent=other).count() <= members


@pytest.mark.django_db
def test_the_import_file_names_real_members_on_dates_they_serve(
    seeded_demo: SeedSummary, tmp_path: Path
) -> None:
    run = SeedRun.objects.get()
    scope = pick_scopes()["county"]
    path = tmp_path / "records.xlsx"
    assert write_import_file(path, scope, run, 1_500) == 1_500

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert tuple(rows[0]) == IMPORT_HEADER
    assert len(rows) == 1_501
    keys = set()
    for national_id, name, team, day, start, end, hours, persons, *_ in rows[1:]:
        served_on = parse_date(str(day))
        assert run.as_of - dt.timedelta(days=28) <= served_on < run.as_of
        serving = Membership.objects.filter(
            Q(left_on__gte=served_on)
            | Q(left_on__isnull=True) & ~Q(status=MembershipStatus.QUIT),
            volunteer__national_id=national_id,
            volunteer__name=name,
            team__code=team,
            team__path__startswith=scope.path,
            joined_on__lte=served_on,
        )
        assert serving.exists(), (national_id, team, served_on)
        begin = dt.time.fromisoformat(start)
        finish = dt.time.fromisoformat(end)
        minutes = (finish.hour - begin.hour) * 60 + finish.minute - begin.minute
        assert minutes == round(float(hours) * 60)
        assert 0 <= int(persons) <= 12
        keys.add((national_id, team, served_on, start))
    assert len(keys) == 1_500  # no two rows are the same record


def _output(name: str, figures: dict[str, list[int]], totals: list[int] | None):  # type: ignore[no-untyped-def]
    return {
        "name": name,
        "scope": {"path": "1/2/"},
        "measured": "queries only",
        "seconds": 0.5,
        "peak_rss_mb": 120.0,
        "rows": len(figures),
        "figures": figures,
        "totals": totals,
        "note": "",
        "error": "",
    }


def test_check_accepts_equal_figures_and_names_each_difference(
    duck: DuckSide,  # noqa: F811
) -> None:
    bench = Bench(BenchConfig(scale="county", database_url="sqlite:///x"), print)
    dates = BenchDates.for_year(2025)
    right = {"4": [1, 1, 3, 90, 90, 8], "5": [0, 1, 1, 0, 120, 5]}
    result = bench.check(
        _output("service/county", right, [1, 2, 4, 90, 210, 13]),
        "service",
        "county",
        duck,
        dates,
    )
    assert result.match is True and result.mismatches == []
    assert result.within_memory is True
    assert result.duck_seconds > 0 and result.ratio is not None

    wrong = {"4": [1, 1, 3, 90, 91, 8], "5": [0, 1, 1, 0, 120, 5]}
    result = bench.check(
        _output("service/county", wrong, [1, 2, 4, 90, 211, 13]),
        "service",
        "county",
        duck,
        dates,
    )
    assert result.match is False
    assert result.mismatches == [
        {"team": 4, "report": [1, 1, 3, 90, 91, 8], "duckdb": [1, 1, 3, 90, 90, 8]},
        {
            "team": "total",
            "report": [1, 2, 4, 90, 211, 13],
            "duckdb": [1, 2, 4, 90, 210, 13],
        },
    ]


def test_check_compares_a_return_by_its_totals_and_unit_counts(
    duck: DuckSide,  # noqa: F811
) -> None:
    bench = Bench(BenchConfig(scale="county", database_url="sqlite:///x"), print)
    # items of teams 4 and 5, using units and teams, then ages at the end
    # (men 12-17: 1; women under 12, 18-29 and 65+: 1 each)
    men, women = [0, 1, 0, 0, 0, 0, 0], [1, 0, 1, 0, 0, 0, 1]
    totals = [1, 3, 300, 4, 13, 2, 1, 2, 3, 2, 2, 2, 1, 2, *men, *women]
    output = _output("return/county", {}, totals)
    result = bench.check(output, "return", "county", duck, BenchDates.for_year(2025))
    assert result.match is True
    output["peak_rss_mb"] = 501.0
    result = bench.check(output, "return", "county", duck, BenchDates.for_year(2025))
    assert result.within_memory is False


def test_the_table_lines_up_and_shows_missing_code() -> None:
    done = CaseResult("age/tree", "age", "tree", "job report.age", 19_500, 12.5)
    done.peak_rss_mb, done.duck_seconds, done.ratio = 180.0, 25.0, 0.5
    done.match, done.within_memory = True, True
    missing = CaseResult("return/tree", "return", "tree", error="missing x")
    table = format_table({"cases": [done.__dict__, missing.__dict__]})
    lines = table.splitlines()
    assert lines[0].startswith("項目")
    assert "age/tree" in lines[2] and "19,500" in lines[2] and "12.50" in lines[2]
    assert lines[2].rstrip().endswith("是")
    assert "missing x" in lines[3]
