"""服務紀錄 files: 身分證字號, 姓名, 志工隊代碼, 服務日期, 起時, 迄時, 服務時數,
服務人次, 服務項目, 備註.

A row names a volunteer who is already in the database (imported before with
a 志工資料 file, or entered by hand) by ID; the name must be that person's,
and the person must be a member of the team on the service date. A record is
matched on re-import by ServiceRecord.source_key, a digest of the fields that
identify it: volunteer, team, date, start and end time, and service item.
The hours, persons served and note are what a re-import may correct.
"""

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from vsis.core.rocdate import format_roc
from vsis.hours.models import ServiceRecord
from vsis.hours.services import TeamMonth, month_start, refresh_tallies
from vsis.imports import cells
from vsis.imports.kinds.base import (
    OUT_OF_SCOPE,
    Importer,
    RowReader,
    Summary,
    chunked,
)
from vsis.imports.kinds.volunteers import ID, NAME, TEAM
from vsis.imports.reading import Column, Table
from vsis.units.models import Level
from vsis.volunteers.models import Membership, Volunteer

SERVED_ON = Column(
    "served_on",
    "服務日期",
    ("日期", "service_date", "served_on", "date"),
    required=True,
)
STARTS = Column("start_time", "起時", ("開始時間", "起始時間", "start_time", "start"))
ENDS = Column("end_time", "迄時", ("結束時間", "end_time", "end"))
HOURS = Column("hours", "服務時數", ("時數", "hours"))
SERVED = Column("persons_served", "服務人次", ("persons_served", "served"))
ITEM = Column("item", "服務項目", ("服務內容", "item"))
NOTE = Column("note", "備註", ("說明", "note"))

RECORDS = "服務紀錄"


@dataclass
class ServiceRow:
    number: int
    national_id: str
    name: str
    team_code: str
    served_on: dt.date
    start_time: dt.time | None
    end_time: dt.time | None
    minutes: int
    persons_served: int
    item: str
    note: str


def source_key(
    volunteer_id: int,
    team_id: int,
    served_on: dt.date,
    start_time: dt.time | None,
    end_time: dt.time | None,
    item: str,
) -> str:
    """The digest that finds an imported record again (see the module doc)."""
    parts = [
        "v1",
        str(volunteer_id),
        str(team_id),
        served_on.isoformat(),
        start_time.strftime("%H:%M") if start_time else "",
        end_time.strftime("%H:%M") if end_time else "",
        item,
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


# The columns an imported record fills, in the order insert_records takes them.
RECORD_COLUMNS = (
    "volunteer_id", "team_id", "served_on", "start_time", "end_time", "minutes",
    "persons_served", "item", "note", "source_key", "created_at", "updated_at",
)  # fmt: skip


def insert_records(rows: list[tuple[object, ...]]) -> None:
    """Insert new records given as tuples of RECORD_COLUMNS.

    On PostgreSQL, COPY: a 100,000-row file must be written in seconds (#5),
    and COPY is several times faster than INSERT for that many rows. Elsewhere
    executemany of one INSERT. No model instance is built per row either way.
    """
    meta = ServiceRecord._meta
    column_of = {f.attname: str(f.column) for f in meta.concrete_fields}
    columns = ", ".join(
        connection.ops.quote_name(column_of[name]) for name in RECORD_COLUMNS
    )
    table = connection.ops.quote_name(meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        # Elsewhere one prepared INSERT run over all rows, the values adapted
        # as the fields would (dates, times, aware datetimes).
        fields = [meta.get_field(name) for name in RECORD_COLUMNS]
        marks = ", ".join(["%s"] * len(fields))
        prepared = [
            [
                field.get_db_prep_save(value, connection)  # type: ignore[union-attr]
                for field, value in zip(fields, row, strict=True)
            ]
            for row in rows
        ]
        for start in range(0, len(prepared), 5000):
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks})",
                prepared[start : start + 5000],
            )


def _span_minutes(start: dt.time, end: dt.time) -> int:
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


class HoursImporter(Importer):
    kind = "hours"
    label = "服務紀錄"
    columns = (ID, NAME, TEAM, SERVED_ON, STARTS, ENDS, HOURS, SERVED, ITEM, NOTE)

    rows: list[ServiceRow]
    table: Table

    def missing_columns(self, table: Table) -> list[Column]:
        missing = super().missing_columns(table)
        if not table.has(HOURS) and not (table.has(STARTS) and table.has(ENDS)):
            missing.append(HOURS)
        return missing

    def parse(self, table: Table) -> None:
        self.table = table
        self.rows = []
        seen: dict[tuple[object, ...], int] = {}
        for number, row_cells in table.rows:
            row = self._parse_row(
                RowReader(table, self.errors, number, row_cells, self.today)
            )
            if row is None:
                continue
            key = (
                row.national_id,
                row.team_code,
                row.served_on,
                row.start_time,
                row.end_time,
                row.item,
            )
            if key in seen:
                self.errors.add(
                    number,
                    None,
                    f"與第 {seen[key]} 列重複（同一人、同一志工隊、同一日期、"
                    "同一起迄時間與服務項目）",
                )
                continue
            seen[key] = number
            self.rows.append(row)

    def _parse_row(self, r: RowReader) -> ServiceRow | None:
        person = r.read(ID, cells.person_id, required=True)
        name = r.read(NAME, lambda v: cells.limited_text(v, 100), required=True)
        team_code = r.read(TEAM, cells.code, required=True)
        served_on = r.past_date(SERVED_ON, required=True)
        start = r.read(STARTS, cells.time)
        end = r.read(ENDS, cells.time)
        minutes = r.read(HOURS, cells.minutes_of_hours)
        persons = r.read(SERVED, cells.count, default=0)
        item = r.read(ITEM, lambda v: cells.limited_text(v, 100), default="") or ""
        note = r.read(NOTE, lambda v: cells.limited_text(v, 200), default="") or ""

        start_blank = cells.is_blank(r.raw(STARTS))
        end_blank = cells.is_blank(r.raw(ENDS))
        hours_blank = cells.is_blank(r.raw(HOURS))
        if start_blank != end_blank:
            missing = STARTS if start_blank else ENDS
            r.fail(missing, "起時與迄時須同時填寫")
        if start is not None and end is not None:
            span = _span_minutes(start, end)
            if span <= 0:
                r.fail(ENDS, "迄時須晚於起時")
            elif minutes is None and hours_blank:
                minutes = span
            elif minutes is not None and minutes > span:
                r.fail(HOURS, "服務時數超過起迄時間")
        if hours_blank and (start_blank or end_blank):
            r.fail(HOURS, "必填（或填寫起時與迄時）")

        if not r.ok:
            return None
        assert person and name and team_code and served_on and minutes
        return ServiceRow(
            number=r.number,
            national_id=person[0],
            name=name,
            team_code=team_code,
            served_on=served_on,
            start_time=start,
            end_time=end,
            minutes=minutes,
            persons_served=persons or 0,
            item=item,
            note=note,
        )

    def check(self) -> None:
        self.teams = self.units_by_code(row.team_code for row in self.rows)
        self.volunteers: dict[str, tuple[int, str]] = {}
        for part in chunked(sorted({row.national_id for row in self.rows})):
            for pk, national_id, name in Volunteer.objects.filter(
                national_id__in=part
            ).values_list("pk", "national_id", "name"):
                self.volunteers[national_id] = (pk, name)
        spans: dict[tuple[int, int], list[tuple[dt.date, dt.date | None, str]]]
        spans = defaultdict(list)
        ids = sorted(pk for pk, _name in self.volunteers.values())
        for id_part in chunked(ids):
            memberships = Membership.objects.filter(volunteer_id__in=id_part)
            for volunteer_id, team_id, joined, left, status in memberships.values_list(
                "volunteer_id", "team_id", "joined_on", "left_on", "status"
            ):
                spans[(volunteer_id, team_id)].append((joined, left, status))
        for row in self.rows:
            team = self.teams.get(row.team_code)
            if team is None:
                self.errors.add(
                    row.number, TEAM, f"志工隊代碼不存在：{cells.echo(row.team_code)}"
                )
            elif team.level != Level.TEAM:
                self.errors.add(row.number, TEAM, f"{team.code} 不是志工隊")
            elif not self.in_scope(team):
                self.errors.add(row.number, TEAM, OUT_OF_SCOPE)
                continue
            found = self.volunteers.get(row.national_id)
            if found is None:
                self.errors.add(
                    row.number, ID, "查無此志工，請先匯入志工資料或新增志工"
                )
                continue
            volunteer_id, name = found
            if name != row.name:
                self.errors.add(row.number, NAME, "姓名與此身分證字號的志工不符")
            if team is None or team.level != Level.TEAM:
                continue
            self._check_membership(row, spans.get((volunteer_id, team.pk), []))

    def _check_membership(
        self, row: ServiceRow, spans: list[tuple[dt.date, dt.date | None, str]]
    ) -> None:
        """The service date lies within one of the person's spans in the team.

        A membership marked 退出 without a leave date is taken to run on: the
        date it ended is unknown, so no service date after joining is refused.
        """
        if not spans:
            self.errors.add(row.number, TEAM, "此志工不是這個志工隊的隊員")
            return
        for joined, left, _status in spans:
            if joined <= row.served_on and (left is None or row.served_on <= left):
                return
        earliest = min(joined for joined, _left, _status in spans)
        if row.served_on < earliest:
            self.errors.add(
                row.number,
                SERVED_ON,
                f"服務日期早於此志工加入這個志工隊的日期（{format_roc(earliest)}）",
            )
            return
        ends = [
            left
            for joined, left, _status in spans
            if left is not None and left < row.served_on
        ]
        self.errors.add(
            row.number,
            SERVED_ON,
            f"服務日期晚於此志工離開這個志工隊的日期（{format_roc(max(ends))}）"
            if ends
            else "服務日期不在此志工的隊員資格期間內",
        )

    def write(self, summary: Summary) -> None:
        counts = summary[RECORDS]
        now = timezone.now()
        keyed: dict[str, tuple[ServiceRow, int, int]] = {}
        for row in self.rows:
            volunteer_id = self.volunteers[row.national_id][0]
            team_id = self.teams[row.team_code].pk
            key = source_key(
                volunteer_id,
                team_id,
                row.served_on,
                row.start_time,
                row.end_time,
                row.item,
            )
            keyed[key] = (row, volunteer_id, team_id)
        existing = self._imported_records()
        self.progress(65, "寫入服務紀錄")
        fresh: list[tuple[object, ...]] = []
        changed: list[ServiceRecord] = []
        touched: set[TeamMonth] = set()
        for key, (row, volunteer_id, team_id) in keyed.items():
            stored = existing.get(key)
            if stored is None:
                fresh.append(
                    (
                        volunteer_id, team_id, row.served_on, row.start_time,
                        row.end_time, row.minutes, row.persons_served, row.item,
                        row.note, key, now, now,
                    )
                )  # fmt: skip
            elif stored[1:] != (row.minutes, row.persons_served, row.note):
                changed.append(
                    ServiceRecord(
                        pk=stored[0],
                        minutes=row.minutes,
                        persons_served=row.persons_served,
                        note=row.note,
                        updated_at=now,
                    )
                )
            else:
                counts.unchanged += 1
                continue
            touched.add((team_id, month_start(row.served_on)))
        self.progress(70, "寫入服務紀錄")
        insert_records(fresh)
        ServiceRecord.objects.bulk_update(
            changed, ["minutes", "persons_served", "note", "updated_at"], batch_size=500
        )
        counts.new += len(fresh)
        counts.updated += len(changed)
        self.progress(85, "更新服務統計")
        refresh_tallies(touched)

    def _imported_records(self) -> dict[str, tuple[int, int, int, str]]:
        """Records imported before in the file's teams and date range, by key.

        One range scan per chunk of teams on (team, served_on) reads them
        faster than looking up thousands of keys one IN list at a time.
        """
        found: dict[str, tuple[int, int, int, str]] = {}
        if not self.rows:
            return found
        first = min(row.served_on for row in self.rows)
        last = max(row.served_on for row in self.rows)
        team_ids = sorted({self.teams[row.team_code].pk for row in self.rows})
        for part in chunked(team_ids, 200):
            stored = ServiceRecord.objects.filter(
                team_id__in=part,
                served_on__range=(first, last),
                source_key__isnull=False,
            ).values_list("source_key", "pk", "minutes", "persons_served", "note")
            for key, pk, minutes, persons, note in stored.iterator(chunk_size=5000):
                found[str(key)] = (pk, minutes, persons, note)
        return found
