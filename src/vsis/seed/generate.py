"""The synthetic dataset, generated as rows in PostgreSQL's COPY text format.

Pure Python and deterministic: the same parameters give the same rows, byte for
byte, whatever database they are loaded into. Every row carries its primary key,
so ids match too. Each stage draws from its own `random.Random` seeded from the
seed and the stage name, so a change to one stage leaves the others alone.

The hot path is the service records (30 million nationally): each is one
f-string over precomputed date strings and precomputed "tails" (times, minutes,
persons served, item), about a microsecond a row.
"""

import datetime as dt
import math
import random
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from faker.providers.person.zh_TW import Provider as ZhTwNames

from vsis.core.ages import BRACKETS, years_before
from vsis.core.national_id import LETTER_CODES, generate_id
from vsis.seed.scales import (
    AGE_SHARES,
    COUNTED_SHARE,
    COUNTY_CATEGORY_SHARES,
    HOURS_PER_VOLUNTEER_YEAR,
    MALE_SHARE,
    PERSONS_SERVED_PER_HOUR,
    RECORDS_PER_VOLUNTEER_YEAR,
    SECOND_TEAM_SHARE,
    CountySpec,
    Scale,
)

NULL = "\\N"
# Bump when a change makes the same parameters generate other rows: the
# benchmark reuses a seeded database only when its SeedRun has this version.
GENERATOR_VERSION = 2

# Table name, its columns in the order of the rows, and the rows.
TableRows = tuple[str, tuple[str, ...], Iterator[str]]

UNIT_COLUMNS = (
    "id", "code", "name", "level", "parent_id", "path", "depth", "category_id",
    "opened_on", "closed_on", "created_at", "updated_at",
)  # fmt: skip
UNIT_ANCESTOR_COLUMNS = ("id", "unit_id", "ancestor_id")
VOLUNTEER_COLUMNS = (
    "id", "national_id", "id_kind", "name", "sex", "birth_date", "phone",
    "address", "education", "is_indigenous", "is_new_resident", "skills",
    "created_at", "updated_at",
)  # fmt: skip
MEMBERSHIP_COLUMNS = (
    "id", "volunteer_id", "team_id", "joined_on", "left_on", "status",
    "created_at", "updated_at",
)  # fmt: skip
TRAINING_COLUMNS = (
    "id", "volunteer_id", "kind", "category_id", "completed_on", "provider", "hours",
)  # fmt: skip
RECORD_BOOK_COLUMNS = (
    "id", "volunteer_id", "number", "issued_on", "issuing_unit_id", "status",
    "cancelled_on",
)  # fmt: skip
INSURANCE_COLUMNS = (
    "id", "volunteer_id", "starts_on", "ends_on", "insurer", "policy_number",
)  # fmt: skip
HONOUR_CARD_COLUMNS = (
    "id", "volunteer_id", "number", "issued_on", "valid_until", "issuing_unit_id",
)  # fmt: skip
AWARD_COLUMNS = ("id", "volunteer_id", "name", "awarded_on", "awarding_unit_id")
SERVICE_RECORD_COLUMNS = (
    "id", "volunteer_id", "team_id", "served_on", "start_time", "end_time",
    "minutes", "persons_served", "item", "note", "source_key", "created_at",
    "updated_at",
)  # fmt: skip

# Place words for unit names: common street and area names, no real unit meant.
PLACES = (
    "中正", "中山", "信義", "仁愛", "和平", "民生", "民權", "民族", "光復", "復興",
    "自強", "忠孝", "建國", "成功", "勝利", "中華", "博愛", "大同", "長安", "永和",
    "新生", "福德", "安平", "興隆", "龍山", "明德", "育英", "崇德", "光明", "文昌",
    "大安", "松山", "長春", "延平", "國光", "中興", "三民", "五福", "青年", "公園",
)  # fmt: skip

# Bureau (地方目的事業主管機關) of a team's category, and its name in a 市 and a 縣.
BUREAU_OF_CATEGORY = {
    "教育": "教育", "體育": "教育", "環境保護": "環保", "文化": "文化",
    "警政": "警察", "消防": "消防", "交通": "交通", "民政": "民政", "其他": "民政",
    "農業": "農業", "勞動": "勞工", "原住民族": "原民", "客家": "客家",
}  # fmt: skip
BUREAUS = {  # key: (in a 市, in a 縣)
    "社會": ("社會局", "社會處"),
    "衛生": ("衛生局", "衛生局"),
    "教育": ("教育局", "教育處"),
    "環保": ("環境保護局", "環境保護局"),
    "文化": ("文化局", "文化局"),
    "警察": ("警察局", "警察局"),
    "消防": ("消防局", "消防局"),
    "交通": ("交通局", "交通處"),
    "民政": ("民政局", "民政處"),
    "農業": ("農業局", "農業處"),
    "勞工": ("勞工局", "勞工處"),
    "原民": ("原住民族行政局", "原住民族行政處"),
    "客家": ("客家事務局", "客家事務處"),
}
SOCIAL_SHARE_OF_WELFARE = 0.65  # the rest of 衛生福利 teams sit under 衛生局
CATEGORY_ORDER = {name: index for index, (name, _) in enumerate(COUNTY_CATEGORY_SHARES)}

USING_KINDS = {
    "社會": (
        "{p}社區發展協會",
        "{p}老人服務中心",
        "{p}家庭服務中心",
        "{p}社會福利中心",
    ),
    "衛生": ("{p}衛生所", "{p}醫院", "{p}長期照顧服務據點"),
    "教育": ("{p}國民小學", "{p}國民中學", "{p}高級中學", "{p}社區大學"),
    "環保": ("{p}清潔隊", "{p}環保志工協會", "{p}資源回收站"),
    "文化": ("{p}圖書館", "{p}文化中心", "{p}藝文館"),
    "警察": ("{p}派出所",),
    "消防": ("{p}消防分隊",),
    "交通": ("{p}轉運站",),
    "民政": ("{p}區公所", "{p}戶政事務所"),
    "農業": ("{p}農會",),
    "勞工": ("{p}就業服務站",),
    "原民": ("{p}部落文化健康站",),
    "客家": ("{p}客家文化館",),
}
TEAM_WORDS = {
    "衛生福利": ("關懷", "送餐", "導診", "陪伴"),
    "教育": ("導護", "圖書", "課輔"),
    "環境保護": ("清潔", "回收", "淨灘"),
    "文化": ("導覽", "藝文"),
}
DEFAULT_TEAM_WORDS = ("服務", "活動", "支援")
ITEMS = {
    "衛生福利": ("關懷訪視", "送餐服務", "醫院導診", "陪伴長者", "電話問安"),
    "教育": ("課業輔導", "圖書整理", "導護服務", "說故事"),
    "環境保護": ("環境清潔", "資源回收", "淨灘", "環境教育宣導"),
    "文化": ("導覽解說", "展場服務", "藝文活動支援"),
}
DEFAULT_ITEMS = ("活動支援", "行政支援", "諮詢服務")
AWARDS = (
    ("志願服務績優獎", 50),
    ("志願服務獎章銅牌獎", 30),
    ("志願服務獎章銀牌獎", 15),
    ("志願服務獎章金牌獎", 5),
)
INSURERS = ("示範產物保險", "範例產物保險", "樣本產物保險")

# Membership statuses as stored (volunteers.models.MembershipStatus values).
ACTIVE, SUSPENDED, INTERN, QUIT = "active", "suspended", "intern", "quit"
STATUS_CODES = (ACTIVE, SUSPENDED, INTERN, QUIT)

TAIL_POOL = 1024  # distinct (times, minutes, persons, item) tails per category
START_TIMES = (8 * 60, 8 * 60 + 30, 9 * 60, 13 * 60, 13 * 60 + 30, 14 * 60, 18 * 60)


def allocate(total: int, weights: Sequence[float], rng: random.Random) -> list[int]:
    """Split `total` into integers proportional to `weights`, summing exactly.

    Systematic rounding: cumulative shares with one random offset, so every part
    is the floor or the ceiling of its exact share.
    """
    whole = float(sum(weights))
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    offset = rng.random()
    parts, acc, previous = [], 0.0, 0
    for weight in weights:
        acc += weight
        current = math.floor(total * acc / whole + offset)
        parts.append(current - previous)
        previous = current
    parts[-1] += total - sum(parts)
    return parts


def _date(ordinal: int) -> str:
    return dt.date.fromordinal(ordinal).isoformat()


def _opt_date(ordinal: int) -> str:
    return _date(ordinal) if ordinal else NULL


@dataclass
class UnitRow:
    id: int
    code: str
    name: str
    level: int
    parent: "UnitRow | None"
    category: str | None = None
    path: str = field(init=False)

    def __post_init__(self) -> None:
        prefix = self.parent.path if self.parent is not None else ""
        self.path = f"{prefix}{self.id}/"


@dataclass
class Team:
    unit: UnitRow
    category: str
    group: int  # index into Generator.groups: the county or the ministry
    size: int = 0  # memberships
    seconds: int = 0  # of them, second memberships of people from other teams


@dataclass
class Group:
    """A county or a ministry: where people live (ID letter) and who issues."""

    unit: UnitRow
    letter: str | None  # None: a ministry's people come from anywhere
    first_person: int = 0
    last_person: int = 0


@dataclass(frozen=True)
class SeedParams:
    scale: Scale
    seed: int
    today: dt.date  # Asia/Taipei today
    category_ids: dict[str, int]
    records: int | None = None  # None: the scale's default

    @property
    def reference_date(self) -> dt.date:
        """The end of the last full calendar year (calibration is measured there)."""
        return dt.date(self.today.year - 1, 12, 31)

    @property
    def period(self) -> tuple[dt.date, dt.date]:
        """Dates the service records fall in (both inclusive)."""
        start = dt.date(self.today.year - 1, 1, 1)
        if self.scale.with_this_year:
            return start, max(self.reference_date, self.today - dt.timedelta(days=1))
        return start, self.reference_date


class Generator:
    """Builds the plan (units, teams, people, memberships) once, then streams
    each table's rows. Consume `tables()` in order: later tables reuse arrays
    filled while planning."""

    def __init__(self, params: SeedParams, *, units_only: bool = False) -> None:
        self.params = params
        self.scale = params.scale
        self.today_ord = params.today.toordinal()
        self.last_day = self.today_ord - 1  # nothing is dated after yesterday
        self.ref_ord = params.reference_date.toordinal()
        start, end = params.period
        self.period = (start.toordinal(), end.toordinal())
        self.stamp = f"{params.today.isoformat()} 00:00:00"
        self.units: list[UnitRow] = []
        self.teams: list[Team] = []
        self.groups: list[Group] = []
        self._plan_units()
        self._plan_team_sizes()
        if units_only:  # enough for the tree and team sizes, and quick
            return
        self._plan_people()
        self._plan_memberships()
        self.records = self._record_total()

    def rng(self, stage: str) -> random.Random:
        return random.Random(f"vsis-seed:{self.params.seed}:{stage}")

    # -- plan -----------------------------------------------------------------

    def _add_unit(
        self, code: str, name: str, level: int, parent: UnitRow | None, cat: str = ""
    ) -> UnitRow:
        unit = UnitRow(len(self.units) + 1, code, name, level, parent, cat or None)
        self.units.append(unit)
        return unit

    def _plan_units(self) -> None:
        rng = self.rng("units")
        scale = self.scale
        root = self._add_unit("MOHW", "衛生福利部", 1, None)
        ministry_teams = allocate(
            scale.ministry_teams, [m.weight for m in scale.ministries], rng
        )
        for index, (ministry, count) in enumerate(
            zip(scale.ministries, ministry_teams, strict=True), start=1
        ):
            unit = self._add_unit(f"R{index:02d}", ministry.name, 2, root)
            self.groups.append(Group(unit, None))
            names: set[str] = set()
            cats = [ministry.category] * max(count, 1)
            for u_index, chunk in enumerate(_chunks(cats, rng), start=1):
                template = ministry.unit_kinds[u_index % len(ministry.unit_kinds)]
                using_name = _unique_name(template, "", names, rng)
                using = self._add_unit(
                    f"R{index:02d}{u_index:04d}", using_name, 5, unit
                )
                self._add_teams(using, chunk, len(self.groups) - 1)

        county_teams = allocate(
            scale.teams - scale.ministry_teams, [c.weight for c in scale.counties], rng
        )
        county_teams = [max(count, 2) for count in county_teams]
        # The categories are dealt out nationally, so the national shares are
        # exact and each county's vary a little, as real ones do.
        counts = allocate(
            sum(county_teams), [share for _, share in COUNTY_CATEGORY_SHARES], rng
        )
        pool = [
            category
            for (category, _), count in zip(COUNTY_CATEGORY_SHARES, counts, strict=True)
            for _ in range(count)
        ]
        rng.shuffle(pool)
        position = 0
        for county, count in zip(scale.counties, county_teams, strict=True):
            categories = sorted(
                pool[position : position + count], key=CATEGORY_ORDER.__getitem__
            )
            position += count
            self._plan_county(root, county, categories, rng)

    def _plan_county(
        self,
        root: UnitRow,
        county: CountySpec,
        categories: list[str],
        rng: random.Random,
    ) -> None:
        unit = self._add_unit(county.letter, county.government, 3, root)
        self.groups.append(Group(unit, county.letter))
        group = len(self.groups) - 1
        by_bureau: dict[str, list[str]] = {}
        for category in categories:
            if category == "衛生福利":
                social = rng.random() < SOCIAL_SHARE_OF_WELFARE
                key = "社會" if social else "衛生"
            else:
                key = BUREAU_OF_CATEGORY[category]
            by_bureau.setdefault(key, []).append(category)
        if "衛生" not in by_bureau and "社會" in by_bureau:
            # Every county keeps its hospital (the demo's clerk works there).
            by_bureau["衛生"] = [by_bureau["社會"].pop()]
            if not by_bureau["社會"]:
                del by_bureau["社會"]
        is_city = county.name.endswith("市")
        names: set[str] = set()
        for b_index, key in enumerate(BUREAUS, start=1):
            if key not in by_bureau:
                continue
            word = BUREAUS[key][0 if is_city else 1]
            code = f"{county.letter}{b_index:02d}"
            bureau = self._add_unit(code, f"{county.government}{word}", 4, unit)
            kinds = USING_KINDS[key]
            for u_index, chunk in enumerate(_chunks(by_bureau[key], rng), start=1):
                if key == "衛生" and u_index == 1:
                    # Every county has its own hospital; the demo logs in there.
                    using_name = f"{county.name}立醫院"
                    names.add(using_name)
                else:
                    template = kinds[rng.randrange(len(kinds))]
                    using_name = _unique_name(template, county.name, names, rng)
                using = self._add_unit(f"{code}{u_index:04d}", using_name, 5, bureau)
                self._add_teams(using, chunk, group)

    def _add_teams(self, using: UnitRow, categories: list[str], group: int) -> None:
        for t_index, category in enumerate(categories, start=1):
            words = TEAM_WORDS.get(category, DEFAULT_TEAM_WORDS)
            word = "" if t_index == 1 else words[(t_index - 2) % len(words)]
            suffix = "" if t_index <= len(words) + 1 else str(t_index)
            name = f"{using.name}{word}{suffix}志工隊"
            unit = self._add_unit(
                f"{using.code}{t_index:02d}", name, 6, using, category
            )
            self.teams.append(Team(unit, category, group))

    def _plan_team_sizes(self) -> None:
        """A long tail of team sizes around MEAN_TEAM_SIZE (lognormal weights)."""
        rng = self.rng("team-sizes")
        scale = self.scale
        size_factor = {c.letter: c.size for c in scale.counties}
        weights = []
        for team in self.teams:
            letter = self.groups[team.group].letter
            factor = size_factor.get(letter, 1.0) if letter else 1.0
            weights.append(min(rng.lognormvariate(0.0, 0.9), 25.0) * factor)
        persons = round(scale.volunteers / COUNTED_SHARE)
        memberships = round(persons * (1 + SECOND_TEAM_SHARE))
        minimum = 3
        spare = max(0, memberships - minimum * len(self.teams))
        sizes = allocate(spare, weights, rng)
        seconds = allocate(memberships - persons, weights, rng)
        for team, size, second in zip(self.teams, sizes, seconds, strict=True):
            team.size = size + minimum
            team.seconds = min(second, team.size - 1)

    def _plan_people(self) -> None:
        """Sex, birth date and primary team of every person, team by team."""
        rng = self.rng("people")
        ref = self.params.reference_date
        count = sum(t.size - t.seconds for t in self.teams)
        self.person_sex = bytearray(count)  # b"M" or b"F"
        self.person_birth = array("i", bytes(4 * count))
        self.person_team = array("i", bytes(4 * count))  # index into self.teams
        bracket_ages = [(b.min_age, b.max_age) for b in BRACKETS]
        cumulative = _cumulative(AGE_SHARES)
        person = 0
        current = -1
        for t_index, team in enumerate(self.teams):
            if team.group != current:  # teams of one group are contiguous
                if current >= 0:
                    self.groups[current].last_person = person
                self.groups[team.group].first_person = person
                current = team.group
            for _ in range(team.size - team.seconds):
                self.person_sex[person] = 77 if rng.random() < MALE_SHARE else 70
                bracket = _pick(cumulative, rng.random())
                low, high = bracket_ages[bracket]
                if bracket == 0:
                    low = 8  # children serve with a parent, from school age
                if high is None:
                    age = min(low + int(rng.expovariate(1 / 7.5)), 98)
                else:
                    age = low + rng.randrange(high - low + 1)
                latest = years_before(ref, age).toordinal()
                earliest = years_before(ref, age + 1).toordinal() + 1
                self.person_birth[person] = earliest + rng.randrange(
                    latest - earliest + 1
                )
                self.person_team[person] = t_index
                person += 1
        if current >= 0:
            self.groups[current].last_person = person
        self.people = person

    def _plan_memberships(self) -> None:
        """Spans and statuses; a few leave, rejoin, pause, intern or quit."""
        rng = self.rng("memberships")
        count = self.people
        self.m_volunteer = array("i")
        self.m_team = array("i")  # index into self.teams
        self.m_joined = array("i")
        self.m_left = array("i")  # 0: not left
        self.m_status = bytearray()
        self.m_second = bytearray()
        self.person_joined = array("i", bytes(4 * count))
        self.person_end = array("i", bytes(4 * count))  # 0: still serving
        last = self.last_day
        for person in range(count):
            earliest = self.person_birth[person] + 6 * 365
            joined = self._draw_join(rng, earliest, mean_years=5.0)
            team = self.person_team[person]
            draw = rng.random()
            if draw < 0.04 and last > self.ref_ord:  # joined this year
                joined = self.ref_ord + 1 + int(rng.random() * (last - self.ref_ord))
                self._add_membership(person, team, joined, 0, ACTIVE, False)
            elif draw < 0.10:  # left, with a date
                left = joined + int(rng.random() * (last - joined + 1))
                self._add_membership(person, team, joined, left, QUIT, False)
                self.person_end[person] = left
            elif draw < 0.11:  # 退出 without a date: counts as gone
                self._add_membership(person, team, joined, 0, QUIT, False)
                self.person_end[person] = joined
            elif draw < 0.14:
                self._add_membership(person, team, joined, 0, SUSPENDED, False)
            elif draw < 0.16:  # interns: joined in the last four months
                joined = max(earliest, last - int(rng.random() * 120))
                self._add_membership(person, team, joined, 0, INTERN, False)
            elif draw < 0.165 and self.ref_ord - joined > 400:  # left, came back
                left = joined + int(rng.random() * (self.ref_ord - joined - 400))
                back = left + 30 + int(rng.random() * 365)
                self._add_membership(person, team, joined, left, QUIT, False)
                self._add_membership(person, team, back, 0, ACTIVE, False)
            else:
                self._add_membership(person, team, joined, 0, ACTIVE, False)
            self.person_joined[person] = joined
        self._plan_second_memberships(rng)

    def _draw_join(self, rng: random.Random, earliest: int, mean_years: float) -> int:
        """A joining date before the reference date, most of them recent."""
        anchor = self.ref_ord
        years = min(rng.expovariate(1 / mean_years), 25.0)
        joined = anchor - int(years * 365.25)
        if joined < earliest:
            joined = earliest + int(rng.random() * max(1, anchor - earliest + 1))
        return min(joined, self.last_day)

    def _add_membership(
        self, person: int, team: int, joined: int, left: int, status: str, second: bool
    ) -> None:
        self.m_volunteer.append(person + 1)
        self.m_team.append(team)
        self.m_joined.append(joined)
        self.m_left.append(left)
        self.m_status.append(STATUS_CODES.index(status))
        self.m_second.append(second)

    def _plan_second_memberships(self, rng: random.Random) -> None:
        """Fill each team's second-membership slots with people of its county
        (anyone, for a ministry's team) whose first team is another one."""
        taken: set[tuple[int, int]] = set()
        for t_index, team in enumerate(self.teams):
            group = self.groups[team.group]
            low, high = group.first_person, group.last_person
            if group.letter is None or high - low < 2 * team.size:
                low, high = 0, self.people
            for _ in range(team.seconds):
                for _attempt in range(20):
                    person = low + rng.randrange(high - low)
                    if self.person_team[person] != t_index and (
                        (person, t_index) not in taken
                    ):
                        break
                else:
                    continue
                taken.add((person, t_index))
                earliest = self.person_birth[person] + 6 * 365
                joined = self._draw_join(rng, earliest, mean_years=3.0)
                if rng.random() < 0.10:
                    left = joined + int(rng.random() * (self.last_day - joined + 1))
                    self._add_membership(person, t_index, joined, left, QUIT, True)
                else:
                    self._add_membership(person, t_index, joined, 0, ACTIVE, True)

    def _active_span(self, index: int, rng: random.Random) -> tuple[int, int]:
        """The days of the record period the membership served in (may be empty)."""
        status = STATUS_CODES[self.m_status[index]]
        left = self.m_left[index]
        if status == QUIT and not left:
            return 1, 0
        start = max(self.m_joined[index], self.period[0])
        end = min(left or self.period[1], self.period[1])
        if status == SUSPENDED and end >= start:
            # Paused part-way through the period.
            end = start + int((end - start) * (0.2 + 0.6 * rng.random()))
        return start, end

    def _record_total(self) -> int:
        if self.params.records is not None:
            return self.params.records
        if self.scale.records is not None:
            return self.scale.records
        days = self.period[1] - self.period[0] + 1
        return round(self.scale.volunteers * RECORDS_PER_VOLUNTEER_YEAR * days / 365)

    # -- rows -----------------------------------------------------------------

    def tables(self) -> Iterator[TableRows]:
        """Every table's rows, parents before children."""
        yield "units_unit", UNIT_COLUMNS, self._unit_rows()
        yield "units_unitancestor", UNIT_ANCESTOR_COLUMNS, self._ancestor_rows()
        yield "volunteers_volunteer", VOLUNTEER_COLUMNS, self._volunteer_rows()
        yield "volunteers_membership", MEMBERSHIP_COLUMNS, self._membership_rows()
        yield "volunteers_training", TRAINING_COLUMNS, self._training_rows()
        yield "volunteers_recordbook", RECORD_BOOK_COLUMNS, self._record_book_rows()
        yield "volunteers_insurance", INSURANCE_COLUMNS, self._insurance_rows()
        yield "volunteers_honourcard", HONOUR_CARD_COLUMNS, self._honour_card_rows()
        yield "volunteers_award", AWARD_COLUMNS, self._award_rows()
        yield "hours_servicerecord", SERVICE_RECORD_COLUMNS, self._record_rows()

    def _unit_rows(self) -> Iterator[str]:
        ids = self.params.category_ids
        for u in self.units:
            parent = str(u.parent.id) if u.parent is not None else NULL
            category = str(ids[u.category]) if u.category else NULL
            depth = u.path.count("/") - 1
            yield (
                f"{u.id}\t{u.code}\t{u.name}\t{u.level}\t{parent}\t{u.path}\t{depth}"
                f"\t{category}\t{NULL}\t{NULL}\t{self.stamp}\t{self.stamp}\n"
            )

    def _ancestor_rows(self) -> Iterator[str]:
        """The closure of the tree (units.UnitAncestor): each unit and its
        ancestors, itself included."""
        row = 0
        for unit in self.units:
            for part in unit.path.split("/")[:-1]:
                row += 1
                yield f"{row}\t{unit.id}\t{part}\n"

    def _volunteer_rows(self) -> Iterator[str]:
        rng = self.rng("volunteers")
        names = _NamePicker(rng)
        letters = sorted(LETTER_CODES)
        seen: set[str] = set()
        stamp = self.stamp
        for person in range(self.people):
            sex = "M" if self.person_sex[person] == 77 else "F"
            letter = self.groups[self.teams[self.person_team[person]].group].letter
            while True:
                national_id = generate_id(rng, sex, letter or rng.choice(letters))
                if national_id not in seen:
                    seen.add(national_id)
                    break
            indigenous = "1" if rng.random() < 0.025 else "0"
            new_resident = "1" if rng.random() < 0.015 else "0"
            yield (
                f"{person + 1}\t{national_id}\tnational\t{names.pick(sex)}\t{sex}\t"
                f"{_date(self.person_birth[person])}\t\t\t\t{indigenous}\t"
                f"{new_resident}\t\t{stamp}\t{stamp}\n"
            )

    def _membership_rows(self) -> Iterator[str]:
        stamp = self.stamp
        team_ids = [t.unit.id for t in self.teams]
        for index in range(len(self.m_volunteer)):
            yield (
                f"{index + 1}\t{self.m_volunteer[index]}\t"
                f"{team_ids[self.m_team[index]]}\t{_date(self.m_joined[index])}\t"
                f"{_opt_date(self.m_left[index])}\t"
                f"{STATUS_CODES[self.m_status[index]]}\t{stamp}\t{stamp}\n"
            )

    def _group_of(self, person: int) -> Group:
        return self.groups[self.teams[self.person_team[person]].group]

    def _training_rows(self) -> Iterator[str]:
        rng = self.rng("trainings")
        ids = self.params.category_ids
        row = 0
        for person in range(self.people):
            if rng.random() >= 0.85:
                continue
            earliest = self.person_birth[person] + 6 * 365
            joined = self.person_joined[person]
            basic = joined - 365 + int(rng.random() * 545)
            basic = min(max(basic, earliest), self.last_day)
            provider = self._group_of(person).unit.name
            row += 1
            yield (
                f"{row}\t{person + 1}\tbasic\t{NULL}\t{_date(basic)}\t{provider}"
                "\t12.0\n"
            )
            if rng.random() < 0.40:
                special = basic + 30 + int(rng.random() * 700)
                if special <= self.last_day:
                    category = ids[self.teams[self.person_team[person]].category]
                    row += 1
                    yield (
                        f"{row}\t{person + 1}\tspecial\t{category}\t{_date(special)}"
                        f"\t{provider}\t6.0\n"
                    )

    def _record_book_rows(self) -> Iterator[str]:
        rng = self.rng("record-books")
        row = 0
        for person in range(self.people):
            if rng.random() >= 0.80:
                continue
            group = self._group_of(person)
            issuer = group.unit.id
            letter = group.letter or "R"
            issued = min(
                self.person_joined[person] + int(rng.random() * 365), self.last_day
            )
            cancelled = 0
            if rng.random() < 0.02:
                cancelled = issued + 30 + int(rng.random() * 2000)
                if cancelled > self.last_day:
                    cancelled = 0
            row += 1
            status = "cancelled" if cancelled else "first"
            yield (
                f"{row}\t{person + 1}\t{letter}{row:09d}\t{_date(issued)}\t{issuer}"
                f"\t{status}\t{_opt_date(cancelled)}\n"
            )
            if cancelled:
                again = min(cancelled + int(rng.random() * 30), self.last_day)
                row += 1
                yield (
                    f"{row}\t{person + 1}\t{letter}{row:09d}\t{_date(again)}\t{issuer}"
                    f"\treissued\t{NULL}\n"
                )

    def _insurance_rows(self) -> Iterator[str]:
        """Yearly policies, 1 Jan (or joining) to 31 Dec, for most serving people."""
        rng = self.rng("insurance")
        years = (self.params.today.year - 1, self.params.today.year)
        bounds = [
            (dt.date(y, 1, 1).toordinal(), dt.date(y, 12, 31).toordinal())
            for y in years
        ]
        row = 0
        for person in range(self.people):
            if rng.random() >= 0.86:
                continue
            insurer = INSURERS[rng.randrange(len(INSURERS))]
            joined, end = self.person_joined[person], self.person_end[person]
            for year, (first, last) in zip(years, bounds, strict=True):
                if joined > min(last, self.last_day) or (end and end < first):
                    continue
                row += 1
                yield (
                    f"{row}\t{person + 1}\t{_date(max(first, joined))}\t{_date(last)}"
                    f"\t{insurer}\t{year - 1911}-{row:08d}\n"
                )

    def _honour_card_rows(self) -> Iterator[str]:
        """榮譽卡 for some of those with three years of service; valid three years."""
        rng = self.rng("honour-cards")
        row = 0
        for person in range(self.people):
            joined = self.person_joined[person]
            eligible_from = joined + 3 * 366
            if eligible_from > self.last_day or self.person_end[person]:
                continue
            if rng.random() >= 0.11:
                continue
            start = max(eligible_from, self.ref_ord - 4 * 365)
            issued = start + int(rng.random() * (self.last_day - start + 1))
            issued_on = dt.date.fromordinal(issued)
            valid_until = years_before(issued_on, -3) - dt.timedelta(days=1)
            group = self._group_of(person)
            issuer = str(group.unit.id) if group.letter else NULL
            row += 1
            yield (
                f"{row}\t{person + 1}\tH{row:08d}\t{issued_on.isoformat()}\t"
                f"{valid_until.isoformat()}\t{issuer}\n"
            )

    def _award_rows(self) -> Iterator[str]:
        rng = self.rng("awards")
        names = [name for name, _ in AWARDS]
        cumulative = _cumulative([weight for _, weight in AWARDS])
        row = 0
        for person in range(self.people):
            if rng.random() >= 0.015:
                continue
            start = max(self.person_joined[person], self.ref_ord - 3 * 365)
            if start > self.last_day:
                continue
            awarded = start + int(rng.random() * (self.last_day - start + 1))
            name = names[_pick(cumulative, rng.random())]
            row += 1
            yield (
                f"{row}\t{person + 1}\t{name}\t{_date(awarded)}\t"
                f"{self._group_of(person).unit.id}\n"
            )

    def _record_rows(self) -> Iterator[str]:
        """Service records of each membership, dated within its active span."""
        rng = self.rng("service-records")
        spans = array("i")
        weights = []
        for index in range(len(self.m_volunteer)):
            start, end = self._active_span(index, rng)
            days = end - start + 1 if end >= start else 0
            spans.append(start)
            spans.append(days)
            if not days:
                weights.append(0.0)
                continue
            activity = min(rng.lognormvariate(0.0, 0.8), 8.0)
            if self.m_second[index]:
                activity *= 0.5
            weights.append(activity * days)
        counts = allocate(self.records, weights, rng)
        # Minutes per record so that a counted volunteer serves about
        # HOURS_PER_VOLUNTEER_YEAR hours a year over the whole period.
        years = (self.period[1] - self.period[0] + 1) / 365
        volunteer_minutes = HOURS_PER_VOLUNTEER_YEAR * 60 * self.scale.volunteers
        mean_minutes = volunteer_minutes * years / self.records if self.records else 0
        # Sorted: a set's order follows PYTHONHASHSEED, and each _tails call
        # draws from the same generator.
        tails = {
            category: _tails(category, mean_minutes, self.stamp, rng)
            for category in sorted({t.category for t in self.teams})
        }
        dates = [_date(day) for day in range(self.period[0], self.period[1] + 1)]
        offset = self.period[0]
        team_ids = [t.unit.id for t in self.teams]
        team_tails = [tails[t.category] for t in self.teams]
        random_ = rng.random
        row = 0
        for index, count in enumerate(counts):
            if not count:
                continue
            team = self.m_team[index]
            pool = team_tails[team]
            head = f"\t{self.m_volunteer[index]}\t{team_ids[team]}\t"
            first = spans[2 * index] - offset
            days = spans[2 * index + 1]
            for _ in range(count):
                row += 1
                day = dates[first + int(random_() * days)]
                yield f"{row}{head}{day}\t{pool[int(random_() * TAIL_POOL)]}\n"


def _chunks(items: list[str], rng: random.Random) -> Iterator[list[str]]:
    """Teams grouped into using units of one to six teams (mostly one or two)."""
    position = 0
    while position < len(items):
        size = min(6, 1 + int(rng.expovariate(1.0)))
        yield items[position : position + size]
        position += size


def _unique_name(
    template: str, prefix: str, taken: set[str], rng: random.Random
) -> str:
    for _ in range(8):
        name = prefix + template.format(p=PLACES[rng.randrange(len(PLACES))])
        if name not in taken:
            taken.add(name)
            return name
    number = 2
    while True:
        place = PLACES[rng.randrange(len(PLACES))]
        name = prefix + template.format(p=f"{place}第{number}")
        if name not in taken:
            taken.add(name)
            return name
        number += 1


def _cumulative(weights: Sequence[float]) -> list[float]:
    total, acc, out = float(sum(weights)), 0.0, []
    for weight in weights:
        acc += weight
        out.append(acc / total)
    out[-1] = 1.0
    return out


def _pick(cumulative: Sequence[float], draw: float) -> int:
    for index, edge in enumerate(cumulative):
        if draw < edge:
            return index
    return len(cumulative) - 1


def _tails(
    category: str, mean_minutes: float, stamp: str, rng: random.Random
) -> list[str]:
    """Precomputed record tails: start, end, minutes, persons served, item, note,
    source key and the two timestamps. Minutes average `mean_minutes`."""
    items = ITEMS.get(category, DEFAULT_ITEMS)
    mean = min(max(mean_minutes, 30.0), 600.0)
    tails = []
    for index in range(TAIL_POOL):
        minutes = mean * rng.lognormvariate(-0.125, 0.5)
        minutes = int(min(max(minutes, 20), 720))
        if rng.random() < 0.7:
            minutes = max(10, round(minutes / 10) * 10)  # most are written 2.5 h etc.
        persons = round(
            minutes / 60 * PERSONS_SERVED_PER_HOUR * (0.4 + 1.2 * rng.random())
        )
        start_time = end_time = NULL
        begin = START_TIMES[rng.randrange(len(START_TIMES))]
        if rng.random() < 0.45 and begin + minutes < 24 * 60:
            end = begin + minutes
            start_time = f"{begin // 60:02d}:{begin % 60:02d}:00"
            end_time = f"{end // 60:02d}:{end % 60:02d}:00"
        item = items[index % len(items)]
        tails.append(
            f"{start_time}\t{end_time}\t{minutes}\t{persons}\t{item}\t\t{NULL}"
            f"\t{stamp}\t{stamp}"
        )
    return tails


class _NamePicker:
    """Faker's zh_TW surnames and given names, weighted as Faker weights them,
    drawn with our own generator (fast, and stable for a given Faker)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.surnames = list(ZhTwNames.last_names)
        self.surname_weights = _cumulative(list(ZhTwNames.last_names.values()))
        self.male = list(ZhTwNames.first_names_male)
        self.female = list(ZhTwNames.first_names_female)
        self._buffer: list[str] = []

    def pick(self, sex: str) -> str:
        if not self._buffer:
            self._buffer = self.rng.choices(
                self.surnames, cum_weights=self.surname_weights, k=4096
            )
        surname = self._buffer.pop()
        given = self.male if sex == "M" else self.female
        return surname + given[self.rng.randrange(len(given))]
