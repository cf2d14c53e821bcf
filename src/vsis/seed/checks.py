"""Figures that show how a seeded database compares with DOMAIN.md §1.

Plain ORM aggregation, written apart from the reports' queries: the tests use
these to check calibration and consistency; `vsis seed --check` prints them.
"""

import datetime as dt
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, Sum

from vsis.core.ages import BRACKETS, bracket_birth_thresholds
from vsis.hours.models import ServiceRecord
from vsis.units.models import Level, Unit
from vsis.volunteers.models import (
    Award,
    HonourCard,
    Insurance,
    Membership,
    MembershipStatus,
    RecordBook,
    Training,
    TrainingKind,
    Volunteer,
)


def active_on(on: dt.date) -> Q:
    """Memberships counted on `on` (DOMAIN.md §3.3)."""
    return Q(joined_on__lte=on) & (
        Q(left_on__gte=on) | Q(left_on__isnull=True) & ~Q(status=MembershipStatus.QUIT)
    )


def calibration(on: dt.date) -> dict[str, Any]:
    """Shares and averages of the data as counted on `on`, for the year of `on`."""
    counted = Membership.objects.filter(active_on(on))
    people = Volunteer.objects.filter(Exists(counted.filter(volunteer=OuterRef("pk"))))
    persons = people.count()
    memberships = counted.count()
    males = people.filter(sex="M").count()
    thresholds = bracket_birth_thresholds(on)  # bracket k+1 and above: birth <= t
    brackets = []
    for index in range(len(BRACKETS)):
        query = people
        if index < len(thresholds):
            query = query.filter(birth_date__gt=thresholds[index])
        if index > 0:
            query = query.filter(birth_date__lte=thresholds[index - 1])
        brackets.append(query.count() / persons if persons else 0.0)

    teams = Unit.objects.filter(level=Level.TEAM)
    team_count = teams.count()
    by_category = dict(
        teams.values_list("category__name").annotate(n=Count("id")).order_by()
    )
    sizes = list(
        counted.values("team_id").annotate(n=Count("id")).values_list("n", flat=True)
    )
    counties = Unit.objects.filter(level=Level.COUNTY)
    county_teams = [
        teams.filter(path__startswith=county.path).count() for county in counties
    ]
    two_teams = (
        counted.values("volunteer_id").annotate(n=Count("id")).filter(n__gte=2).count()
    )
    year = (dt.date(on.year, 1, 1), dt.date(on.year, 12, 31))
    service = ServiceRecord.objects.filter(served_on__range=year).aggregate(
        minutes=Sum("minutes"), persons=Sum("persons_served"), records=Count("id")
    )
    hours = (service["minutes"] or 0) / 60

    def share(model: Any, condition: Q) -> float:
        subquery = model.objects.filter(condition, volunteer=OuterRef("pk"))
        return people.filter(Exists(subquery)).count() / persons if persons else 0.0

    return {
        "persons": persons,
        "memberships": memberships,
        "male_share": males / persons if persons else 0.0,
        "age_shares": brackets,
        "teams": team_count,
        "category_shares": {
            name: n / team_count for name, n in by_category.items() if team_count
        },
        "mean_team_size": memberships / team_count if team_count else 0.0,
        "max_team_size": max(sizes, default=0),
        "median_team_size": sorted(sizes)[len(sizes) // 2] if sizes else 0,
        "county_teams": sorted(county_teams),
        "two_team_share": two_teams / persons if persons else 0.0,
        "hours_per_person": hours / persons if persons else 0.0,
        "persons_served_per_hour": (service["persons"] or 0) / hours if hours else 0.0,
        "records": service["records"],
        "left_share": Membership.objects.filter(left_on__isnull=False).count()
        / max(1, Membership.objects.count()),
        "statuses": dict(
            Membership.objects.values_list("status").annotate(n=Count("id")).order_by()
        ),
        "quit_without_date": Membership.objects.filter(
            status=MembershipStatus.QUIT, left_on__isnull=True
        ).count(),
        "basic_trained_share": share(
            Training, Q(kind=TrainingKind.BASIC, completed_on__lte=on)
        ),
        "special_trained_share": share(
            Training, Q(kind=TrainingKind.SPECIAL, completed_on__lte=on)
        ),
        "record_book_share": share(
            RecordBook,
            Q(issued_on__lte=on)
            & (Q(cancelled_on__isnull=True) | Q(cancelled_on__gt=on)),
        ),
        "insured_share": share(
            Insurance, Q(starts_on__lte=year[1], ends_on__gte=year[0])
        ),
        "honour_card_share": share(
            HonourCard, Q(issued_on__lte=on, valid_until__gte=on)
        ),
        "award_share": share(Award, Q(awarded_on__range=year)),
    }


def membership_problems() -> dict[str, int]:
    """Counts of rows that break the membership rules (all zero when sound)."""
    overlapping = Membership.objects.filter(
        Exists(
            Membership.objects.filter(
                volunteer=OuterRef("volunteer"), team=OuterRef("team")
            )
            .exclude(pk=OuterRef("pk"))
            .filter(joined_on__lte=OuterRef("joined_on"))
            .filter(Q(left_on__isnull=True) | Q(left_on__gte=OuterRef("joined_on")))
        )
    ).count()
    covering = Membership.objects.filter(
        volunteer=OuterRef("volunteer_id"),
        team=OuterRef("team_id"),
        joined_on__lte=OuterRef("served_on"),
    ).filter(Q(left_on__isnull=True) | Q(left_on__gte=OuterRef("served_on")))
    outside = ServiceRecord.objects.exclude(Exists(covering)).count()
    return {
        "left_before_joined": Membership.objects.filter(
            left_on__lt=F("joined_on")
        ).count(),
        "overlapping_spans": overlapping,
        "records_outside_membership": outside,
        "records_of_quit_without_date": ServiceRecord.objects.filter(
            Exists(
                Membership.objects.filter(
                    volunteer=OuterRef("volunteer_id"),
                    team=OuterRef("team_id"),
                    status=MembershipStatus.QUIT,
                    left_on__isnull=True,
                )
            )
        ).count(),
        "records_before_birth": ServiceRecord.objects.filter(
            served_on__lt=F("volunteer__birth_date")
        ).count(),
    }
