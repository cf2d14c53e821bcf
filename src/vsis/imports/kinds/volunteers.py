"""志工資料 files: one row per volunteer and team.

A person is found by ID; a person on several rows (several teams) is one
volunteer with one membership per row. Memberships are matched by (volunteer,
team, 加入日期), record books by number, trainings by (volunteer, kind, date)
and insurance by (volunteer, start, end). A blank optional cell never clears
what the database holds; the exceptions are 離隊日期 and 志工狀態 when their
columns are present, which state the membership as it is.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

from django.utils import timezone

from vsis.core.national_id import sex_digit
from vsis.core.rocdate import format_roc
from vsis.hours.services import refresh_volunteer_sex
from vsis.imports import cells
from vsis.imports.kinds.base import (
    CHUNK,
    OUT_OF_SCOPE,
    Counts,
    Importer,
    RowReader,
    Summary,
    chunked,
)
from vsis.imports.reading import Column, Table
from vsis.units.models import Level, Unit
from vsis.volunteers.models import (
    Insurance,
    Membership,
    MembershipStatus,
    RecordBook,
    RecordBookStatus,
    Training,
    TrainingKind,
    Volunteer,
)

ID = Column(
    "national_id",
    "身分證字號",
    (
        "身分證統一編號", "身分證號", "身分證號碼", "身分證", "身份證字號",
        "統一編號", "證號", "居留證號碼", "national_id", "id_number", "id",
    ),
    required=True,
)  # fmt: skip
NAME = Column("name", "姓名", ("志工姓名", "name"), required=True)
TEAM = Column(
    "team_code",
    "志工隊代碼",
    ("隊代碼", "團隊代碼", "志工團隊代碼", "team_code", "team"),
    required=True,
)
SEX = Column("sex", "性別", ("sex", "gender"), required=True)
BIRTH = Column(
    "birth_date",
    "出生日期",
    ("生日", "出生年月日", "birth_date", "birthday", "dob"),
    required=True,
)
JOINED = Column(
    "joined_on", "加入日期", ("入隊日期", "joined_on", "join_date"), required=True
)
LEFT = Column("left_on", "離隊日期", ("退出日期", "left_on", "leave_date"))
STATUS = Column("status", "志工狀態", ("狀態", "status"))
BOOK = Column("book_number", "紀錄冊編號", ("record_book", "record_book_number"))
BOOK_ISSUED = Column(
    "book_issued_on", "發冊日期", ("紀錄冊發冊日期", "record_book_issued_on")
)
BASIC = Column(
    "basic_training_on",
    "基礎訓練完訓日期",
    ("基礎訓練", "basic_training_on", "basic_training"),
)
SPECIAL = Column(
    "special_training_on",
    "特殊訓練完訓日期",
    ("特殊訓練", "special_training_on", "special_training"),
)
INSURED_FROM = Column(
    "insurance_starts_on", "保險起日", ("insurance_starts_on", "insurance_start")
)
INSURED_TO = Column(
    "insurance_ends_on", "保險迄日", ("insurance_ends_on", "insurance_end")
)
PHONE = Column("phone", "電話", ("聯絡電話", "手機", "phone"))
ADDRESS = Column("address", "地址", ("通訊地址", "住址", "address"))
ID_KIND = Column("id_kind", "證號類別", ("id_kind",))

VOLUNTEERS = "志工"
MEMBERSHIPS = "隊員資格"
BOOKS = "紀錄冊"
TRAININGS = "教育訓練"
INSURANCES = "保險"


@dataclass
class VolunteerRow:
    number: int
    national_id: str
    id_kind: str
    name: str
    sex: str
    birth_date: dt.date
    team_code: str
    joined_on: dt.date
    left_on: dt.date | None
    status: str | None  # None: not stated (keep, or 服務中 for a new membership)
    book_number: str
    book_issued_on: dt.date | None
    basic_on: dt.date | None
    special_on: dt.date | None
    insured_from: dt.date | None
    insured_to: dt.date | None
    phone: str
    address: str


class Span(NamedTuple):
    """A stored membership, read as a plain row (thousands are read per file)."""

    pk: int
    volunteer_id: int
    team_id: int
    joined_on: dt.date
    left_on: dt.date | None
    status: str


_PERSON_COLUMNS = (
    "id", "national_id", "id_kind", "name", "sex", "birth_date", "phone", "address",
)  # fmt: skip

# The person's own fields that every row of one person must agree on.
_PERSON_FIELDS = (
    ("name", NAME, "姓名"),
    ("sex", SEX, "性別"),
    ("birth_date", BIRTH, "出生日期"),
    ("id_kind", ID_KIND, "證號類別"),
)
# Optional contact fields: rows must agree where both are filled.
_CONTACT_FIELDS = (("phone", PHONE, "電話"), ("address", ADDRESS, "地址"))


def _overlaps(
    first: tuple[dt.date, dt.date | None], second: tuple[dt.date, dt.date | None]
) -> bool:
    earlier, later = sorted([first, second], key=lambda span: span[0])
    return earlier[1] is None or earlier[1] >= later[0]


class VolunteerImporter(Importer):
    kind = "volunteers"
    label = "志工資料"
    columns = (
        ID, NAME, SEX, BIRTH, TEAM, JOINED, LEFT, STATUS, BOOK, BOOK_ISSUED, BASIC,
        SPECIAL, INSURED_FROM, INSURED_TO, PHONE, ADDRESS, ID_KIND,
    )  # fmt: skip

    rows: list[VolunteerRow]
    table: Table

    # -- reading ---------------------------------------------------------

    def parse(self, table: Table) -> None:
        self.table = table
        self.rows = []
        for number, row_cells in table.rows:
            row = self._parse_row(
                RowReader(table, self.errors, number, row_cells, self.today)
            )
            if row is not None:
                self.rows.append(row)
        self._check_rows_agree()

    def _parse_row(self, r: RowReader) -> VolunteerRow | None:
        kind = r.read(ID_KIND, cells.id_kind)
        person = r.read(ID, lambda v: cells.person_id(v, kind), required=True)
        name = r.read(NAME, lambda v: cells.limited_text(v, 100), required=True)
        sex = r.read(SEX, cells.sex, required=True)
        birth = r.past_date(BIRTH, required=True)
        team_code = r.read(TEAM, cells.code, required=True)
        joined = r.past_date(JOINED, required=True)
        left = r.past_date(LEFT)
        status = r.read(STATUS, cells.status)
        book = r.read(BOOK, lambda v: cells.code(v, 30), default="") or ""
        issued = r.past_date(BOOK_ISSUED)
        basic = r.past_date(BASIC)
        special = r.past_date(SPECIAL)
        insured_from = r.read(INSURED_FROM, cells.date)
        insured_to = r.read(INSURED_TO, cells.date)
        phone = r.read(PHONE, lambda v: cells.limited_text(v, 30), default="") or ""
        address = r.read(ADDRESS, lambda v: cells.limited_text(v, 200), default="")

        if person and sex:
            encoded = sex_digit(person[0])
            if encoded is not None and encoded != sex:
                r.fail(SEX, "性別與身分證字號不符（第 2 碼 1、8 為男，2、9 為女）")
        if birth and joined and joined < birth:
            r.fail(JOINED, "加入日期早於出生日期")
        if joined and left and left < joined:
            r.fail(LEFT, "離隊日期早於加入日期")
        if left is not None and status not in (None, MembershipStatus.QUIT):
            r.fail(STATUS, "已填離隊日期，志工狀態應為退出")
        if status is None and left is not None:
            status = MembershipStatus.QUIT
        elif status is None and self.table.has(STATUS):
            status = MembershipStatus.ACTIVE
        if book and cells.is_blank(r.raw(BOOK_ISSUED)):
            r.fail(BOOK_ISSUED, "已填紀錄冊編號，須一併填發冊日期")
        if issued is not None and not book:
            r.fail(BOOK, "已填發冊日期，須一併填紀錄冊編號")
        for day, column in ((basic, BASIC), (special, SPECIAL), (issued, BOOK_ISSUED)):
            if day is not None and birth is not None and day < birth:
                r.fail(column, "日期早於出生日期")
        if (insured_from is None) != (insured_to is None):
            if insured_from is None and cells.is_blank(r.raw(INSURED_FROM)):
                r.fail(INSURED_FROM, "已填保險迄日，須一併填保險起日")
            elif insured_to is None and cells.is_blank(r.raw(INSURED_TO)):
                r.fail(INSURED_TO, "已填保險起日，須一併填保險迄日")
        elif insured_from and insured_to and insured_to < insured_from:
            r.fail(INSURED_TO, "保險迄日早於保險起日")

        if not r.ok:
            return None
        assert person and name and sex and birth and team_code and joined
        return VolunteerRow(
            number=r.number,
            national_id=person[0],
            id_kind=person[1],
            name=name,
            sex=sex,
            birth_date=birth,
            team_code=team_code,
            joined_on=joined,
            left_on=left,
            status=status,
            book_number=book,
            book_issued_on=issued,
            basic_on=basic,
            special_on=special,
            insured_from=insured_from,
            insured_to=insured_to,
            phone=phone,
            address=address or "",
        )

    def _check_rows_agree(self) -> None:
        """One person's rows agree; no membership, span or book is given twice."""
        first_of: dict[str, VolunteerRow] = {}
        memberships: dict[tuple[str, str, dt.date], int] = {}
        spans: dict[tuple[str, str], list[VolunteerRow]] = defaultdict(list)
        books: dict[str, VolunteerRow] = {}
        kept: list[VolunteerRow] = []
        for row in self.rows:
            ok = True
            first = first_of.setdefault(row.national_id, row)
            if first is not row:
                for attr, column, label in _PERSON_FIELDS:
                    if getattr(row, attr) != getattr(first, attr):
                        self.errors.add(
                            row.number,
                            column,
                            f"與第 {first.number} 列的同一人{label}不同",
                        )
                        ok = False
                for attr, column, label in _CONTACT_FIELDS:
                    mine, theirs = getattr(row, attr), getattr(first, attr)
                    if mine and theirs and mine != theirs:
                        self.errors.add(
                            row.number,
                            column,
                            f"與第 {first.number} 列的同一人{label}不同",
                        )
                        ok = False
            key = (row.national_id, row.team_code, row.joined_on)
            if key in memberships:
                self.errors.add(
                    row.number,
                    None,
                    f"與第 {memberships[key]} 列重複"
                    "（同一人、同一志工隊、同一加入日期）",
                )
                continue
            memberships[key] = row.number
            for other in spans[(row.national_id, row.team_code)]:
                if _overlaps(
                    (row.joined_on, row.left_on), (other.joined_on, other.left_on)
                ):
                    self.errors.add(
                        row.number,
                        JOINED,
                        f"與第 {other.number} 列同一志工隊的隊員資格期間重疊",
                    )
                    ok = False
            spans[(row.national_id, row.team_code)].append(row)
            if row.book_number:
                owner = books.setdefault(row.book_number, row)
                if owner.national_id != row.national_id:
                    self.errors.add(
                        row.number, BOOK, f"紀錄冊編號與第 {owner.number} 列的他人相同"
                    )
                    ok = False
                elif owner.book_issued_on != row.book_issued_on:
                    self.errors.add(
                        row.number,
                        BOOK_ISSUED,
                        f"同一紀錄冊的發冊日期與第 {owner.number} 列不同",
                    )
                    ok = False
            if ok:
                kept.append(row)
        self.rows = kept

    # -- checking against the database -----------------------------------

    def check(self) -> None:
        self.teams = self.units_by_code(row.team_code for row in self.rows)
        self.volunteers = self._volunteers_by_id({r.national_id for r in self.rows})
        self.memberships = self._memberships_of(
            [v.pk for v in self.volunteers.values()]
        )
        self.books = self._books_by_number({r.book_number for r in self.rows})
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
            book = self.books.get(row.book_number) if row.book_number else None
            volunteer = self.volunteers.get(row.national_id)
            if book is not None and (
                volunteer is None or book.volunteer_id != volunteer.pk
            ):
                self.errors.add(row.number, BOOK, "紀錄冊編號已屬其他志工")
        self._check_people()
        self._check_spans()

    def _volunteers_by_id(self, ids: set[str]) -> dict[str, Volunteer]:
        found: dict[str, Volunteer] = {}
        for part in chunked(sorted(ids)):
            people = Volunteer.objects.filter(national_id__in=part)
            for volunteer in people.only(*_PERSON_COLUMNS):
                found[volunteer.national_id] = volunteer
        return found

    def _memberships_of(self, volunteer_ids: list[int]) -> dict[int, list[Span]]:
        found: dict[int, list[Span]] = defaultdict(list)
        for part in chunked(sorted(volunteer_ids)):
            rows = Membership.objects.filter(volunteer_id__in=part).values_list(
                "pk", "volunteer_id", "team_id", "joined_on", "left_on", "status"
            )
            for row in rows:
                span = Span(*row)
                found[span.volunteer_id].append(span)
        return found

    def _books_by_number(self, numbers: set[str]) -> dict[str, RecordBook]:
        found: dict[str, RecordBook] = {}
        for part in chunked(sorted(n for n in numbers if n)):
            for book in RecordBook.objects.filter(number__in=part):
                found[book.number] = book
        return found

    def _check_people(self) -> None:
        """A known person's name, sex and birth date match the database, or
        (更正個人資料) the person is wholly within the importer's scope."""
        seen: set[str] = set()
        corrected: list[tuple[VolunteerRow, Volunteer]] = []
        for row in self.rows:
            volunteer = self.volunteers.get(row.national_id)
            if volunteer is None or row.national_id in seen:
                continue
            seen.add(row.national_id)
            differing = [
                (column, label)
                for attr, column, label in _PERSON_FIELDS[:3]
                if getattr(volunteer, attr) != getattr(row, attr)
            ]
            if not differing:
                continue
            if self.options.correct_people:
                corrected.append((row, volunteer))
                continue
            for column, label in differing:
                self.errors.add(
                    row.number,
                    column,
                    f"{label}與系統中此身分證字號的資料不同；"
                    "如為更正，請勾選「更正個人資料」",
                )
        outside = self._teams_outside_scope(
            {
                span.team_id
                for _row, volunteer in corrected
                for span in self.memberships.get(volunteer.pk, [])
            }
        )
        for row, volunteer in corrected:
            spans = self.memberships.get(volunteer.pk, [])
            if any(span.team_id in outside for span in spans):
                self.errors.add(
                    row.number,
                    ID,
                    "此志工也在您管轄範圍外的志工隊服務，無法更正個人資料，請洽上層單位",
                )

    def _teams_outside_scope(self, team_ids: set[int]) -> set[int]:
        if self.actor is None or not team_ids:
            return set()
        outside: set[int] = set()
        for part in chunked(sorted(team_ids)):
            for team in Unit.objects.filter(pk__in=part).only("pk", "path"):
                if not self.in_scope(team):
                    outside.add(team.pk)
        return outside

    def _check_spans(self) -> None:
        """No new or changed membership overlaps another of the same person in
        the same team that the database holds and the file does not restate."""
        in_file = {(row.national_id, row.team_code, row.joined_on) for row in self.rows}
        keep_left = not self.table.has(LEFT)
        for row in self.rows:
            volunteer = self.volunteers.get(row.national_id)
            team = self.teams.get(row.team_code)
            if volunteer is None or team is None:
                continue
            same_team = [
                m
                for m in self.memberships.get(volunteer.pk, [])
                if m.team_id == team.pk
            ]
            left = row.left_on
            if keep_left:
                for membership in same_team:
                    if membership.joined_on == row.joined_on:
                        left = membership.left_on
            for membership in same_team:
                if (row.national_id, row.team_code, membership.joined_on) in in_file:
                    continue  # restated by a row of the file, checked there
                if _overlaps(
                    (row.joined_on, left), (membership.joined_on, membership.left_on)
                ):
                    self.errors.add(
                        row.number,
                        JOINED,
                        "與系統中既有的隊員資格期間重疊（加入日期 "
                        f"{format_roc(membership.joined_on)}）",
                    )

    # -- writing ---------------------------------------------------------

    def write(self, summary: Summary) -> None:
        now = timezone.now()
        people = self._write_volunteers(summary[VOLUNTEERS], now)
        self.progress(70, "寫入隊員資格")
        self._write_memberships(summary[MEMBERSHIPS], people, now)
        self.progress(80, "寫入紀錄冊、訓練與保險")
        self._write_books(summary[BOOKS], people)
        self._write_trainings(summary[TRAININGS], people)
        self._write_insurances(summary[INSURANCES], people)

    def _write_volunteers(self, counts: Counts, now: dt.datetime) -> dict[str, int]:
        first_rows: dict[str, VolunteerRow] = {}
        contact: dict[str, dict[str, str]] = defaultdict(dict)
        for row in self.rows:
            first_rows.setdefault(row.national_id, row)
            for attr, _column, _label in _CONTACT_FIELDS:
                if getattr(row, attr):
                    contact[row.national_id].setdefault(attr, getattr(row, attr))
        fresh: list[Volunteer] = []
        changed: list[Volunteer] = []
        sex_changed: list[Volunteer] = []
        for national_id, row in first_rows.items():
            volunteer = self.volunteers.get(national_id)
            wanted: dict[str, object] = {"id_kind": row.id_kind}
            wanted |= contact[national_id]
            if self.options.correct_people or volunteer is None:
                wanted |= {
                    "name": row.name,
                    "sex": row.sex,
                    "birth_date": row.birth_date,
                }
            if volunteer is None:
                fresh.append(Volunteer(national_id=national_id, **wanted))
                continue
            if all(getattr(volunteer, k) == v for k, v in wanted.items()):
                counts.unchanged += 1
                continue
            if wanted.get("sex", volunteer.sex) != volunteer.sex:
                sex_changed.append(volunteer)
            for key, value in wanted.items():
                setattr(volunteer, key, value)
            volunteer.updated_at = now
            changed.append(volunteer)
        Volunteer.objects.bulk_create(fresh, batch_size=CHUNK)
        Volunteer.objects.bulk_update(
            changed,
            ["id_kind", "name", "sex", "birth_date", "phone", "address", "updated_at"],
            batch_size=500,
        )
        for volunteer in sex_changed:
            refresh_volunteer_sex(volunteer.pk, volunteer.sex)
        counts.new += len(fresh)
        counts.updated += len(changed)
        people = {v.national_id: v.pk for v in self.volunteers.values()}
        people |= {v.national_id: v.pk for v in fresh}
        return people

    def _write_memberships(
        self, counts: Counts, people: dict[str, int], now: dt.datetime
    ) -> None:
        existing: dict[tuple[int, int, dt.date], Span] = {
            (span.volunteer_id, span.team_id, span.joined_on): span
            for spans in self.memberships.values()
            for span in spans
        }
        keep_left = not self.table.has(LEFT)
        fresh: list[Membership] = []
        changed: list[Membership] = []
        for row in self.rows:
            team = self.teams[row.team_code]
            key = (people[row.national_id], team.pk, row.joined_on)
            membership = existing.get(key)
            if membership is None:
                fresh.append(
                    Membership(
                        volunteer_id=key[0],
                        team=team,
                        joined_on=row.joined_on,
                        left_on=row.left_on,
                        status=row.status or MembershipStatus.ACTIVE,
                    )
                )
                continue
            left = membership.left_on if keep_left else row.left_on
            status = row.status or membership.status
            if (left, status) == (membership.left_on, membership.status):
                counts.unchanged += 1
                continue
            changed.append(
                Membership(
                    pk=membership.pk, left_on=left, status=status, updated_at=now
                )
            )
        Membership.objects.bulk_create(fresh, batch_size=CHUNK)
        Membership.objects.bulk_update(
            changed, ["left_on", "status", "updated_at"], batch_size=500
        )
        counts.new += len(fresh)
        counts.updated += len(changed)

    def _write_books(self, counts: Counts, people: dict[str, int]) -> None:
        fresh: list[RecordBook] = []
        changed: list[RecordBook] = []
        seen: set[str] = set()
        for row in self.rows:
            if not row.book_number or row.book_number in seen:
                continue
            seen.add(row.book_number)
            assert row.book_issued_on is not None
            book = self.books.get(row.book_number)
            if book is None:
                fresh.append(
                    RecordBook(
                        volunteer_id=people[row.national_id],
                        number=row.book_number,
                        issued_on=row.book_issued_on,
                        status=RecordBookStatus.FIRST,
                    )
                )
            elif book.issued_on != row.book_issued_on:
                book.issued_on = row.book_issued_on
                changed.append(book)
            else:
                counts.unchanged += 1
        RecordBook.objects.bulk_create(fresh, batch_size=CHUNK)
        RecordBook.objects.bulk_update(changed, ["issued_on"], batch_size=500)
        counts.new += len(fresh)
        counts.updated += len(changed)

    def _write_trainings(self, counts: Counts, people: dict[str, int]) -> None:
        ids = sorted(set(people.values()))
        existing: set[tuple[int, str, dt.date]] = set()
        for part in chunked(ids):
            existing.update(
                Training.objects.filter(volunteer_id__in=part).values_list(
                    "volunteer_id", "kind", "completed_on"
                )
            )
        fresh: dict[tuple[int, str, dt.date], Training] = {}
        counted: set[tuple[int, str, dt.date]] = set()
        for row in self.rows:
            volunteer_id = people[row.national_id]
            team: Unit = self.teams[row.team_code]
            for kind, day in (
                (TrainingKind.BASIC, row.basic_on),
                (TrainingKind.SPECIAL, row.special_on),
            ):
                if day is None:
                    continue
                key = (volunteer_id, str(kind), day)
                if key in fresh or key in counted:
                    continue
                if key in existing:
                    counts.unchanged += 1
                    counted.add(key)
                    continue
                fresh[key] = Training(
                    volunteer_id=volunteer_id,
                    kind=kind,
                    completed_on=day,
                    # A special training belongs to a service category: that
                    # of the team on the row.
                    category=team.category if kind == TrainingKind.SPECIAL else None,
                )
        Training.objects.bulk_create(list(fresh.values()), batch_size=CHUNK)
        counts.new += len(fresh)

    def _write_insurances(self, counts: Counts, people: dict[str, int]) -> None:
        ids = sorted(set(people.values()))
        existing: set[tuple[int, dt.date, dt.date]] = set()
        for part in chunked(ids):
            existing.update(
                Insurance.objects.filter(volunteer_id__in=part).values_list(
                    "volunteer_id", "starts_on", "ends_on"
                )
            )
        fresh: dict[tuple[int, dt.date, dt.date], Insurance] = {}
        counted: set[tuple[int, dt.date, dt.date]] = set()
        for row in self.rows:
            if row.insured_from is None or row.insured_to is None:
                continue
            key = (people[row.national_id], row.insured_from, row.insured_to)
            if key in existing:
                if key not in counted:
                    counts.unchanged += 1
                    counted.add(key)
                continue
            fresh.setdefault(
                key,
                Insurance(volunteer_id=key[0], starts_on=key[1], ends_on=key[2]),
            )
        Insurance.objects.bulk_create(list(fresh.values()), batch_size=CHUNK)
        counts.new += len(fresh)
