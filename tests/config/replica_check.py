"""Run only by test_settings.py, in a pytest whose REPORTS_DATABASE_URL is set:
the report queries go to the "reports" connection and see committed rows."""

import datetime as dt
import random

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from tests.conftest import Tree
from vsis.core.national_id import generate_id
from vsis.reports.queries import TeamSelection, report_db, team_age_counts
from vsis.volunteers.models import Membership, Volunteer


# Committed rows (transaction=True): a replica sees nothing else either.
@pytest.mark.django_db(transaction=True, databases=["default", "reports"])
def test_age_counts_come_from_the_reports_connection(tree: Tree) -> None:
    volunteer = Volunteer.objects.create(
        national_id=generate_id(random.Random(5), "F"),
        name="林小美",
        sex="F",
        birth_date=dt.date(1960, 7, 1),
    )
    Membership.objects.create(
        volunteer=volunteer, team=tree.hospital_team, joined_on=dt.date(2020, 1, 1)
    )

    assert report_db() == "reports"
    with (
        CaptureQueriesContext(connections["default"]) as on_default,
        CaptureQueriesContext(connections["reports"]) as on_reports,
    ):
        rows = team_age_counts(TeamSelection(tree.county_a), dt.date(2024, 12, 31))

    assert len(on_reports) == 1 and len(on_default) == 0
    # 64 on 2024-12-31: the 55-64 bracket, the sixth of seven.
    assert rows[tree.hospital_team.pk].female == [0, 0, 0, 0, 0, 1, 0]
    assert rows[tree.hospital_team.pk].male == [0] * 7
