"""Seeding a database and checking what was seeded."""

import datetime as dt
import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from vsis.audit.services import record_audit
from vsis.hours.models import MonthlyService, ServiceRecord, YearlyService
from vsis.hours.services import rebuild_all_tallies
from vsis.seed.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from vsis.seed.generate import GENERATOR_VERSION, NULL, Generator, SeedParams
from vsis.seed.load import loader_for_connection
from vsis.seed.models import SeedRun
from vsis.seed.scales import SCALES, Scale, scaled
from vsis.units.models import Level, ServiceCategory, Unit, UnitAncestor, User
from vsis.units.services import create_account
from vsis.volunteers.models import (
    Award,
    HonourCard,
    Insurance,
    Membership,
    RecordBook,
    Training,
    Volunteer,
)

logger = logging.getLogger(__name__)

# Every table the seed writes, in load order, with its model.
SEEDED_MODELS: tuple[type[Model], ...] = (
    Unit,
    UnitAncestor,
    Volunteer,
    Membership,
    Training,
    RecordBook,
    Insurance,
    HonourCard,
    Award,
    ServiceRecord,
    MonthlyService,
    YearlyService,
)
# Tables loaded without their secondary indexes and constraints (PostgreSQL).
SMALL_TABLES = 2  # units and their closure: loaded with every index in place
BULK_TABLES = tuple(m._meta.db_table for m in SEEDED_MODELS[SMALL_TABLES:])


class SeedError(Exception):
    """The database cannot be seeded as asked (the message is for the user)."""


@dataclass
class SeedSummary:
    scale: str
    seed: int
    records: int
    rows: dict[str, int] = field(default_factory=dict)
    steps: dict[str, float] = field(default_factory=dict)  # seconds per step
    seconds: float = 0.0


def resolve_scale(name: str, volunteers: int | None = None) -> Scale:
    try:
        scale = SCALES[name]
    except KeyError:
        raise SeedError(f"未知的規模：{name}（可用：{', '.join(SCALES)}）") from None
    if volunteers is not None:
        if volunteers < 50:
            raise SeedError("志工人數至少 50 人")
        scale = scaled(scale, volunteers)
    return scale


def make_params(
    scale: Scale, *, seed: int, records: int | None, today: dt.date | None
) -> SeedParams:
    category_ids = dict(ServiceCategory.objects.values_list("name", "id"))
    return SeedParams(
        scale=scale,
        seed=seed,
        today=today or timezone.localdate(),
        category_ids=category_ids,
        records=records,
    )


def seed_database(
    scale_name: str,
    *,
    seed: int = 1,
    records: int | None = None,
    volunteers: int | None = None,
    today: dt.date | None = None,
    if_empty: bool = False,
    report: Callable[[str], None] | None = None,
) -> SeedSummary | None:
    """Load a whole synthetic dataset into an empty database, in one transaction.

    Returns None (and changes nothing) when `if_empty` is set and units exist;
    raises SeedError when units exist otherwise. Tallies are rebuilt, sequences
    moved past the loaded ids, demo accounts created and statistics refreshed.
    """
    say = report or (lambda message: None)
    if Unit.objects.exists():
        if if_empty:
            say("資料庫已有資料，略過載入。")
            return None
        raise SeedError("資料庫已有單位資料；seed 只載入空的資料庫。")
    if records is not None and records < 0:
        raise SeedError("服務紀錄筆數不可為負數")
    scale = resolve_scale(scale_name, volunteers)
    params = make_params(scale, seed=seed, records=records, today=today)
    missing = _missing_categories(params.category_ids)
    if missing:
        raise SeedError(f"缺少服務類別：{'、'.join(missing)}（請先執行 migrate）")

    started = time.perf_counter()
    summary = SeedSummary(scale=scale.name, seed=seed, records=0)

    def step(name: str, since: float) -> float:
        now = time.perf_counter()
        summary.steps[name] = round(now - since, 2)
        say(f"  {name}: {now - since:.1f} 秒")
        return now

    mark = time.perf_counter()
    generator = Generator(params)
    summary.records = generator.records
    mark = step("plan", mark)
    loader = loader_for_connection()
    with transaction.atomic():
        loader.session_settings()
        tables = generator.tables()
        for _ in range(SMALL_TABLES):
            table, columns, rows = next(tables)
            summary.rows[table] = loader.load(table, columns, rows)
        with loader.bulk(BULK_TABLES):
            for table, columns, rows in tables:
                summary.rows[table] = loader.load(table, columns, rows)
                mark = step(table, mark)
            rebuild_all_tallies()
            mark = step("tallies", mark)
        mark = step("indexes and constraints", mark)
        loader.reset_sequences(SEEDED_MODELS)
        create_demo_accounts()
        summary.seconds = round(time.perf_counter() - started, 2)
        run = SeedRun.objects.create(
            scale=scale.name,
            seed=seed,
            records=summary.records,
            volunteers=generator.people,
            teams=len(generator.teams),
            as_of=params.today,
            seconds=summary.seconds,
            version=GENERATOR_VERSION,
        )
    mark = step("commit", mark)
    loader.analyze([m._meta.db_table for m in SEEDED_MODELS])
    step("analyze", mark)
    summary.seconds = round(time.perf_counter() - started, 2)
    SeedRun.objects.filter(pk=run.pk).update(seconds=summary.seconds)
    logger.info(
        "seeded scale %s seed %s: %s records in %.1f s",
        scale.name,
        seed,
        summary.records,
        summary.seconds,
    )
    return summary


def _missing_categories(category_ids: dict[str, int]) -> list[str]:
    from vsis.units.categories import INITIAL_CATEGORIES

    return [name for name in INITIAL_CATEGORIES if name not in category_ids]


def demo_units() -> dict[str, Unit]:
    """The units the demo accounts belong to: root, first county, its hospital."""
    root = Unit.objects.get(level=Level.CENTRAL, parent=None, code="MOHW")
    county = Unit.objects.filter(level=Level.COUNTY).order_by("id").first()
    if county is None:
        raise SeedError("找不到縣市政府單位")
    hospital_name = county.name.removesuffix("政府") + "立醫院"
    hospital = Unit.objects.get(
        level=Level.USING, name=hospital_name, path__startswith=county.path
    )
    return {"root": root, "county": county, "hospital": hospital}


def create_demo_accounts() -> list[User]:
    """The five demo logins of README, password DEMO_PASSWORD."""
    units = demo_units()
    users = []
    for account in DEMO_ACCOUNTS:
        user = create_account(
            actor=None,
            username=account.username,
            unit=units[account.place],
            role=account.role,
            password=DEMO_PASSWORD,
        )
        if account.superuser:
            User.objects.filter(pk=user.pk).update(is_superuser=True, is_staff=True)
            record_audit(
                actor=None,
                action="account.superuser",
                target=user,
                unit_id=user.unit_id,
                changes={"is_superuser": {"old": False, "new": True}},
            )
            user.refresh_from_db()
        users.append(user)
    return users


# -- digests -------------------------------------------------------------------


def _text(value: Any) -> str:
    """A value as the generator writes it in COPY text."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | float):
        return f"{Decimal(value):.1f}"
    return str(value)


def _normalise_generated(value: str) -> str:
    """Generated text normalised like `_text` normalises database values."""
    if value.count(".") == 1 and value.replace(".", "").isdigit():
        return f"{Decimal(value):.1f}"
    return value


def generated_digest(params: SeedParams) -> tuple[str, dict[str, int]]:
    """sha256 over every generated row, table by table (no database involved)."""
    generator = Generator(params)

    def tables() -> Iterator[tuple[str, tuple[str, ...], Iterable[list[str]]]]:
        for table, columns, rows in generator.tables():
            yield (
                table,
                columns,
                (
                    [_normalise_generated(v) for v in row.rstrip("\n").split("\t")]
                    for row in rows
                ),
            )

    return _digest(tables())


def database_digest() -> tuple[str, dict[str, int]]:
    """sha256 over the seeded tables as stored, in the generator's column order
    (the tallies are left out: the generator does not write them)."""
    from vsis.seed import generate as g

    columns_of = {
        "units_unit": g.UNIT_COLUMNS,
        "units_unitancestor": g.UNIT_ANCESTOR_COLUMNS,
        "volunteers_volunteer": g.VOLUNTEER_COLUMNS,
        "volunteers_membership": g.MEMBERSHIP_COLUMNS,
        "volunteers_training": g.TRAINING_COLUMNS,
        "volunteers_recordbook": g.RECORD_BOOK_COLUMNS,
        "volunteers_insurance": g.INSURANCE_COLUMNS,
        "volunteers_honourcard": g.HONOUR_CARD_COLUMNS,
        "volunteers_award": g.AWARD_COLUMNS,
        "hours_servicerecord": g.SERVICE_RECORD_COLUMNS,
    }
    models = {m._meta.db_table: m for m in SEEDED_MODELS}

    def tables() -> Iterator[tuple[str, tuple[str, ...], Iterable[list[str]]]]:
        for table, columns in columns_of.items():
            query = models[table]._default_manager.order_by("pk").values_list(*columns)
            yield table, columns, ([_text(v) for v in row] for row in query.iterator())

    return _digest(tables())


def _digest(
    tables: Iterable[tuple[str, tuple[str, ...], Iterable[list[str]]]],
) -> tuple[str, dict[str, int]]:
    digest = hashlib.sha256()
    counts: dict[str, int] = {}
    for table, columns, rows in tables:
        digest.update(f"{table}:{','.join(columns)}\n".encode())
        count = 0
        for values in rows:
            digest.update("\t".join(values).encode())
            digest.update(b"\n")
            count += 1
        counts[table] = count
    return digest.hexdigest(), counts
