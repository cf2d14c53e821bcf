"""Every write of service records goes through here, so that the monthly and
yearly tallies stay equal to the records they sum (same transaction)."""

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction

from vsis.audit.services import diff_fields, record_audit
from vsis.hours.models import MonthlyService, ServiceRecord, YearlyService
from vsis.volunteers.models import Volunteer

logger = logging.getLogger(__name__)

TeamMonth = tuple[int, dt.date]
_CHUNK = 500


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(first: dt.date) -> dt.date:
    following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def refresh_tallies(team_months: Iterable[TeamMonth]) -> None:
    """Rebuild the monthly and yearly tallies of the given (team id, month).

    Each month's tally is recomputed from the records (delete, then one
    INSERT ... SELECT per month and chunk of teams), and each touched year from
    its months. Must run inside the transaction that changed the records.
    """
    by_month: dict[dt.date, set[int]] = defaultdict(set)
    for team_id, day in team_months:
        by_month[month_start(day)].add(team_id)
    if not by_month:
        return
    by_year: dict[int, set[int]] = defaultdict(set)
    record = ServiceRecord._meta.db_table
    volunteer = Volunteer._meta.db_table
    monthly = MonthlyService._meta.db_table
    yearly = YearlyService._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        for first, team_ids in sorted(by_month.items()):
            by_year[first.year].update(team_ids)
            for chunk in _chunks(sorted(team_ids)):
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    f"DELETE FROM {monthly} WHERE month = %s AND team_id IN ({marks})",
                    [first, *chunk],
                )
                cursor.execute(
                    f"""
                    INSERT INTO {monthly}
                        (month, team_id, volunteer_id, sex, records, minutes,
                         persons_served)
                    SELECT %s, r.team_id, r.volunteer_id, v.sex, COUNT(*),
                           SUM(r.minutes), SUM(r.persons_served)
                    FROM {record} r JOIN {volunteer} v ON v.id = r.volunteer_id
                    WHERE r.served_on BETWEEN %s AND %s AND r.team_id IN ({marks})
                    GROUP BY r.team_id, r.volunteer_id, v.sex
                    """,
                    [first, first, month_end(first), *chunk],
                )
        for year, team_ids in sorted(by_year.items()):
            for chunk in _chunks(sorted(team_ids)):
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    f"DELETE FROM {yearly} WHERE year = %s AND team_id IN ({marks})",
                    [year, *chunk],
                )
                cursor.execute(
                    f"""
                    INSERT INTO {yearly}
                        (year, team_id, volunteer_id, sex, records, minutes,
                         persons_served)
                    SELECT %s, team_id, volunteer_id, sex, SUM(records),
                           SUM(minutes), SUM(persons_served)
                    FROM {monthly}
                    WHERE month BETWEEN %s AND %s AND team_id IN ({marks})
                    GROUP BY team_id, volunteer_id, sex
                    """,
                    [year, dt.date(year, 1, 1), dt.date(year, 12, 1), *chunk],
                )


def refresh_volunteer_sex(volunteer_id: int, sex: str) -> None:
    """Carry a corrected sex into the volunteer's tallies."""
    MonthlyService.objects.filter(volunteer_id=volunteer_id).update(sex=sex)
    YearlyService.objects.filter(volunteer_id=volunteer_id).update(sex=sex)


def rebuild_all_tallies() -> None:
    """Recompute every tally from the records (after a bulk load or repair).

    Two set-based statements over all teams (records to months, months to
    years) instead of one per team and month: a national load of ~30 million
    records is two scans.
    """
    record = ServiceRecord._meta.db_table
    volunteer = Volunteer._meta.db_table
    monthly = MonthlyService._meta.db_table
    yearly = YearlyService._meta.db_table
    month_sql, month_params = connection.ops.date_trunc_sql("month", "r.served_on", ())
    year_sql, year_params = connection.ops.date_extract_sql("year", "m.month", ())
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {monthly}")
        cursor.execute(f"DELETE FROM {yearly}")
        # GROUP BY positions: the month expression carries parameters, which
        # would not match textually in a server-side-bound GROUP BY.
        cursor.execute(
            f"""
            INSERT INTO {monthly}
                (month, team_id, volunteer_id, sex, records, minutes, persons_served)
            SELECT {month_sql}, r.team_id, r.volunteer_id, v.sex, COUNT(*),
                   SUM(r.minutes), SUM(r.persons_served)
            FROM {record} r JOIN {volunteer} v ON v.id = r.volunteer_id
            GROUP BY 1, 2, 3, 4
            """,
            list(month_params),
        )
        cursor.execute(
            f"""
            INSERT INTO {yearly}
                (year, team_id, volunteer_id, sex, records, minutes, persons_served)
            SELECT {year_sql}, m.team_id, m.volunteer_id, m.sex, SUM(m.records),
                   SUM(m.minutes), SUM(m.persons_served)
            FROM {monthly} m
            GROUP BY 1, 2, 3, 4
            """,
            list(year_params),
        )


_RECORD_FIELDS = (
    "volunteer_id",
    "team_id",
    "served_on",
    "start_time",
    "end_time",
    "minutes",
    "persons_served",
    "item",
    "note",
)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date | dt.time) else value


def _snapshot(record: ServiceRecord) -> dict[str, Any]:
    return {name: _plain(getattr(record, name)) for name in _RECORD_FIELDS}


def save_service_record(
    record: ServiceRecord, *, actor: Any, previous: ServiceRecord | None = None
) -> ServiceRecord:
    """Create or update one record and its tallies, with an audit row.

    `previous` is the record as stored before the change (for an update), so
    that the tallies of the team and month it moved away from are rebuilt too.
    """
    with transaction.atomic():
        is_new = record.pk is None
        record.full_clean()
        record.save()
        touched = {(record.team_id, month_start(record.served_on))}
        if previous is not None:
            touched.add((previous.team_id, month_start(previous.served_on)))
        refresh_tallies(touched)
        before = _snapshot(previous) if previous is not None else {}
        record_audit(
            actor=actor,
            action="service_record.create" if is_new else "service_record.update",
            target=record,
            unit_id=record.team_id,
            changes=diff_fields(before, _snapshot(record)),
        )
    logger.info(
        "service record %s saved by user %s", record.pk, getattr(actor, "pk", None)
    )
    return record


def delete_service_record(record: ServiceRecord, *, actor: Any) -> None:
    """Delete one record, rebuild its tallies and audit it."""
    with transaction.atomic():
        key = (record.team_id, month_start(record.served_on))
        record_id = record.pk
        snapshot = _snapshot(record)
        record.delete()
        refresh_tallies([key])
        record_audit(
            actor=actor,
            action="service_record.delete",
            target_type=ServiceRecord._meta.label_lower,
            target_id=record_id or "",
            unit_id=key[0],
            changes={k: {"old": v, "new": None} for k, v in snapshot.items()},
        )
