"""The seed is deterministic, its IDs are valid and unique, memberships and
service records agree, and the tallies equal a plain count of the records."""

import datetime as dt
import os
import subprocess
import sys
from collections import defaultdict

import pytest
from django.db.models import Count, Max, Min, Sum

from tests.seed.conftest import TODAY
from vsis.core.national_id import is_valid_taiwan_id, sex_digit
from vsis.hours.models import MonthlyService, ServiceRecord, YearlyService
from vsis.seed.checks import membership_problems
from vsis.seed.generate import Generator, SeedParams
from vsis.seed.scales import SCALES, scaled
from vsis.seed.services import (
    SeedSummary,
    database_digest,
    generated_digest,
    make_params,
)
from vsis.units.categories import INITIAL_CATEGORIES
from vsis.units.models import Level, Unit, UnitAncestor
from vsis.volunteers.models import Membership, Volunteer

CATEGORY_IDS = {name: index for index, name in enumerate(INITIAL_CATEGORIES, 1)}


def params(seed: int, volunteers: int = 300) -> SeedParams:
    return SeedParams(
        scale=scaled(SCALES["demo"], volunteers),
        seed=seed,
        today=TODAY,
        category_ids=CATEGORY_IDS,
    )


def test_same_seed_generates_identical_rows() -> None:
    first, counts = generated_digest(params(11))
    second, _ = generated_digest(params(11))
    assert first == second
    assert counts["volunteers_volunteer"] > 300
    assert counts["hours_servicerecord"] > 10_000


DIGEST_SCRIPT = """
import datetime as dt, os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vsis.config.settings")
django.setup()
from vsis.seed.generate import SeedParams
from vsis.seed.scales import SCALES, scaled
from vsis.seed.services import generated_digest
from vsis.units.categories import INITIAL_CATEGORIES
ids = {name: index for index, name in enumerate(INITIAL_CATEGORIES, 1)}
params = SeedParams(scaled(SCALES["demo"], 200), 11, dt.date(2026, 6, 15), ids)
print(generated_digest(params)[0])
"""


def test_rows_do_not_depend_on_the_process_hash_seed() -> None:
    """Two fresh processes with different PYTHONHASHSEED (as two `vsis seed`
    runs, one per database, would have) generate the same rows."""
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        env.pop("DATABASE_URL", None)  # no database is touched
        done = subprocess.run(
            [sys.executable, "-c", DIGEST_SCRIPT],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        digests.add(done.stdout.strip().splitlines()[-1])
    assert len(digests) == 1
    assert digests == {generated_digest(params(11, volunteers=200))[0]}


def test_another_seed_generates_other_rows() -> None:
    assert generated_digest(params(11))[0] != generated_digest(params(12))[0]


def test_another_day_moves_the_dates_only_with_the_day() -> None:
    later = SeedParams(
        scale=params(11).scale,
        seed=11,
        today=TODAY + dt.timedelta(days=1),
        category_ids=CATEGORY_IDS,
    )
    assert generated_digest(later)[0] != generated_digest(params(11))[0]


@pytest.mark.django_db
def test_the_database_holds_exactly_the_generated_rows(
    seeded_demo: SeedSummary,
) -> None:
    """Loaded rows (ids, names, dates, counts) equal the generator's, so any two
    databases seeded alike hold the same data."""
    expected = make_params(
        scaled(SCALES["demo"], 1_000), seed=7, records=None, today=TODAY
    )
    digest, counts = generated_digest(expected)
    stored, stored_counts = database_digest()
    assert stored_counts == counts
    assert stored == digest
    assert counts["hours_servicerecord"] == seeded_demo.records


@pytest.mark.django_db
def test_every_national_id_is_valid_unique_and_matches_the_sex(
    seeded_demo: SeedSummary,
) -> None:
    rows = list(Volunteer.objects.values_list("national_id", "sex"))
    assert len(rows) == seeded_demo.rows["volunteers_volunteer"]
    assert len({national_id for national_id, _ in rows}) == len(rows)
    for national_id, sex in rows:
        assert is_valid_taiwan_id(national_id), national_id
        assert sex_digit(national_id) == sex


@pytest.mark.django_db
def test_memberships_and_records_are_consistent(seeded_demo: SeedSummary) -> None:
    assert membership_problems() == {
        "left_before_joined": 0,
        "overlapping_spans": 0,
        "records_outside_membership": 0,
        "records_of_quit_without_date": 0,
        "records_before_birth": 0,
    }
    # Records lie in last year and this year up to yesterday, in teams only.
    span = ServiceRecord.objects.aggregate(
        first=Min("served_on"), last=Max("served_on")
    )
    assert span["first"] >= dt.date(2025, 1, 1)
    assert span["last"] <= TODAY - dt.timedelta(days=1)
    assert not ServiceRecord.objects.exclude(team__level=Level.TEAM).exists()
    assert not Membership.objects.exclude(team__level=Level.TEAM).exists()
    minutes = ServiceRecord.objects.aggregate(low=Min("minutes"), high=Max("minutes"))
    assert minutes["low"] > 0 and minutes["high"] <= 24 * 60
    # Start and end times, where given, span exactly the minutes.
    timed = ServiceRecord.objects.filter(start_time__isnull=False)
    assert timed.exists()
    for start, end, minutes_ in timed.values_list("start_time", "end_time", "minutes")[
        :500
    ]:
        assert (end.hour * 60 + end.minute) - (
            start.hour * 60 + start.minute
        ) == minutes_


@pytest.mark.django_db
def test_unit_paths_and_codes_fit_the_tree(seeded_demo: SeedSummary) -> None:
    units = {u.pk: u for u in Unit.objects.all()}
    for unit in units.values():
        if unit.parent_id is None:
            assert unit.path == f"{unit.pk}/" and unit.level == Level.CENTRAL
        else:
            parent = units[unit.parent_id]
            assert unit.path == f"{parent.path}{unit.pk}/"
            assert unit.depth == parent.depth + 1
            assert unit.level > parent.level
        assert (unit.category_id is not None) == (unit.level == Level.TEAM)
    # The closure is what Unit.save would have written.
    links = set(UnitAncestor.objects.values_list("unit_id", "ancestor_id"))
    assert len(links) == UnitAncestor.objects.count()
    UnitAncestor.rebuild_below(Unit.objects.get(parent=None))
    assert set(UnitAncestor.objects.values_list("unit_id", "ancestor_id")) == links
    assert len(links) == sum(u.depth + 1 for u in units.values())
    # A new unit gets the next id (sequences were moved past the loaded ids).
    root = Unit.objects.get(parent=None)
    new = Unit.objects.create(
        code="NEW1", name="新單位", level=Level.COUNTY, parent=root
    )
    assert new.pk == max(units) + 1


@pytest.mark.django_db
def test_tallies_equal_a_plain_count_of_the_records(seeded_demo: SeedSummary) -> None:
    plain: dict[tuple[int, int, dt.date], list[int]] = defaultdict(lambda: [0, 0, 0])
    for team, volunteer, day, minutes, persons in ServiceRecord.objects.values_list(
        "team_id", "volunteer_id", "served_on", "minutes", "persons_served"
    ).iterator():
        figures = plain[(team, volunteer, day.replace(day=1))]
        figures[0] += 1
        figures[1] += minutes
        figures[2] += persons
    monthly = {
        (team, volunteer, month): [records, minutes, persons]
        for team, volunteer, month, records, minutes, persons in (
            MonthlyService.objects.values_list(
                "team_id", "volunteer_id", "month", "records", "minutes",
                "persons_served",
            )
        )
    }  # fmt: skip
    assert monthly == dict(plain)

    yearly_plain: dict[tuple[int, int, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for (team, volunteer, month), figures in plain.items():
        target = yearly_plain[(team, volunteer, month.year)]
        for index in range(3):
            target[index] += figures[index]
    yearly = {
        (team, volunteer, year): [records, minutes, persons]
        for team, volunteer, year, records, minutes, persons in (
            YearlyService.objects.values_list(
                "team_id", "volunteer_id", "year", "records", "minutes",
                "persons_served",
            )
        )
    }  # fmt: skip
    assert yearly == dict(yearly_plain)
    # The sex copied into the tallies is the volunteer's.
    sexes = dict(Volunteer.objects.values_list("id", "sex"))
    for volunteer, sex in MonthlyService.objects.values_list("volunteer_id", "sex"):
        assert sexes[volunteer] == sex


@pytest.mark.django_db
def test_the_records_total_is_exactly_as_asked(seeded_demo: SeedSummary) -> None:
    totals = ServiceRecord.objects.aggregate(n=Count("id"), minutes=Sum("minutes"))
    assert totals["n"] == seeded_demo.records
    assert totals["n"] == seeded_demo.rows["hours_servicerecord"]


def test_the_national_tree_spans_small_and_large_counties() -> None:
    """The full national plan (units only): 22 counties from under 200 teams to
    over 2,200, about 19,500 teams in all, ministries with teams of their own."""
    generator = Generator(
        SeedParams(
            scale=SCALES["national"],
            seed=1,
            today=TODAY,
            category_ids=CATEGORY_IDS,
        ),
        units_only=True,
    )
    county_teams: dict[str, int] = defaultdict(int)
    for team in generator.teams:
        county_teams[generator.groups[team.group].unit.name] += 1
    counties = {n: c for n, c in county_teams.items() if n.endswith("政府")}
    ministries = {n: c for n, c in county_teams.items() if not n.endswith("政府")}
    assert len(counties) == 22
    assert min(counties.values()) < 200
    assert max(counties.values()) > 2_200
    assert {"教育部", "文化部", "環境部", "內政部"} <= set(ministries)
    assert all(count > 0 for count in ministries.values())
    assert 19_300 <= len(generator.teams) <= 19_700
    sizes = [team.size for team in generator.teams]
    persons = sum(team.size - team.seconds for team in generator.teams)
    # 1.1 million counted at the reference date; more people in the tables.
    assert 1_200_000 <= persons <= 1_300_000
    assert max(sizes) > 10 * (sum(sizes) / len(sizes))  # a long tail
