"""單位 files: 單位代碼, 單位名稱, 上層單位代碼, 單位層級, 服務類別.

Units are matched by code. A parent may be a unit already in the database or
another row of the same file, in any order; every unit's level must be below
its parent's, which also rules out cycles. A unit may be created or changed
only under a parent within the importer's scope.
"""

from dataclasses import dataclass

from django.utils import timezone

from vsis.hours.models import ServiceRecord
from vsis.imports import cells
from vsis.imports.kinds.base import (
    OUT_OF_SCOPE,
    Importer,
    RowReader,
    Summary,
    chunked,
)
from vsis.imports.reading import Column, Table
from vsis.units.models import Level, ServiceCategory, Unit, UnitAncestor
from vsis.volunteers.models import Membership

CODE = Column("code", "單位代碼", ("代碼", "unit_code"), required=True)
NAME = Column("name", "單位名稱", ("名稱", "unit_name"), required=True)
PARENT = Column(
    "parent_code", "上層單位代碼", ("上層代碼", "parent", "parent_code"), required=True
)
LEVEL = Column("level", "單位層級", ("層級",), required=True)
CATEGORY = Column("category", "服務類別", ("類別",))

UNITS = "單位"


@dataclass
class UnitRow:
    number: int
    code: str
    name: str
    parent_code: str
    level: int
    category: ServiceCategory | None


class UnitImporter(Importer):
    kind = "units"
    label = "單位"
    columns = (CODE, NAME, PARENT, LEVEL, CATEGORY)

    rows: list[UnitRow]
    table: Table

    def parse(self, table: Table) -> None:
        self.table = table
        self.rows = []
        categories = {
            cells.folded(category.name): category
            for category in ServiceCategory.objects.all()
        }
        seen: dict[str, int] = {}
        for number, row_cells in table.rows:
            reader = RowReader(table, self.errors, number, row_cells, self.today)
            code = reader.read(CODE, cells.code, required=True)
            name = reader.read(
                NAME, lambda v: cells.limited_text(v, 100), required=True
            )
            parent_code = reader.read(PARENT, cells.code, default="") or ""
            level = reader.read(LEVEL, cells.level, required=True)
            category_name = reader.read(CATEGORY, cells.folded, default="") or ""
            category = categories.get(category_name) if category_name else None
            if category_name and category is None:
                reader.fail(CATEGORY, f"未知的服務類別：{cells.echo(category_name)}")
            elif category is not None and not category.is_active:
                reader.fail(CATEGORY, f"服務類別已停用：{category.name}")
            if level == Level.TEAM and not category_name and table.has(CATEGORY):
                reader.fail(CATEGORY, "志工隊須填服務類別")
            if level == Level.CENTRAL and parent_code:
                reader.fail(PARENT, "中央主管機關沒有上層單位，此欄請留白")
            elif level is not None and level != Level.CENTRAL and not parent_code:
                reader.fail(PARENT, "必填")
            if code and parent_code == code:
                reader.fail(PARENT, "上層單位不可為自己")
            if code:
                if code in seen:
                    reader.fail(CODE, f"單位代碼與第 {seen[code]} 列重複")
                else:
                    seen[code] = number
            if reader.ok and code and name and level is not None:
                self.rows.append(
                    UnitRow(number, code, name, parent_code, level, category)
                )

    def check(self) -> None:
        in_file = {row.code: row for row in self.rows}
        self.existing = self.units_by_code(
            [*in_file, *(row.parent_code for row in self.rows)]
        )
        changing_level: dict[int, UnitRow] = {}
        for row in self.rows:
            current = self.existing.get(row.code)
            if current is not None and not self.in_scope(current):
                self.errors.add(row.number, CODE, OUT_OF_SCOPE)
                continue
            new_team = current is None and row.level == Level.TEAM
            if new_team and not self.table.has(CATEGORY):
                self.errors.add(row.number, CATEGORY, "志工隊須填服務類別")
            if current is not None and current.level != row.level:
                changing_level[current.pk] = row
            if not row.parent_code:
                # A root unit has no parent to be in scope of: only the
                # system or a superuser may create or change one.
                if self.actor is not None and not self.actor.is_superuser:
                    self.errors.add(row.number, PARENT, OUT_OF_SCOPE)
                continue
            parent_row = in_file.get(row.parent_code)
            parent_unit = self.existing.get(row.parent_code)
            if parent_row is None and parent_unit is None:
                self.errors.add(
                    row.number,
                    PARENT,
                    f"上層單位代碼不存在：{cells.echo(row.parent_code)}",
                )
                continue
            if parent_unit is not None and not self.in_scope(parent_unit):
                self.errors.add(row.number, PARENT, OUT_OF_SCOPE)
                continue
            parent_level = (
                parent_row.level if parent_row is not None else parent_unit.level  # type: ignore[union-attr]
            )
            if row.level <= parent_level:
                self.errors.add(
                    row.number,
                    LEVEL,
                    f"單位層級須低於上層單位（上層單位為{Level(parent_level).label}）",
                )
        if changing_level:
            self._check_level_changes(changing_level, in_file)

    def _check_level_changes(
        self, changing: dict[int, UnitRow], in_file: dict[str, UnitRow]
    ) -> None:
        """A unit may change level only if its children stay below it and, for
        a team, no membership or service record hangs on it."""
        ids = sorted(changing)
        for part in chunked(ids):
            children = Unit.objects.filter(parent_id__in=part).values_list(
                "parent_id", "code", "level"
            )
            for parent_id, child_code, child_level in children:
                if child_code in in_file:
                    continue  # the child's own row is checked against its parent
                row = changing[parent_id]
                if child_level <= row.level:
                    self.errors.add(
                        row.number,
                        LEVEL,
                        f"此單位下有層級為{Level(child_level).label}的單位"
                        f"（{child_code}），不可改為此層級",
                    )
        was_team = {u.pk for u in self.existing.values() if u.level == Level.TEAM}
        teams = [pk for pk in ids if pk in was_team]
        for part in chunked(teams):
            used = set(
                Membership.objects.filter(team_id__in=part).values_list(
                    "team_id", flat=True
                )
            ) | set(
                ServiceRecord.objects.filter(team_id__in=part).values_list(
                    "team_id", flat=True
                )
            )
            for team_id in sorted(used):
                self.errors.add(
                    changing[team_id].number,
                    LEVEL,
                    "此志工隊已有隊員資格或服務紀錄，不可變更單位層級",
                )

    def write(self, summary: Summary) -> None:
        counts = summary[UNITS]
        units = dict(self.existing)
        now = timezone.now()
        keep_category = not self.table.has(CATEGORY)
        # Parents are always of a higher level (smaller number), so writing
        # level by level writes every parent before its children.
        for level in Level.values:
            rows = [row for row in self.rows if row.level == level]
            if not rows:
                continue
            fresh = [
                Unit(
                    code=row.code,
                    name=row.name,
                    level=row.level,
                    parent=units[row.parent_code] if row.parent_code else None,
                    category=row.category,
                )
                for row in rows
                if row.code not in units
            ]
            for part in chunked(fresh):
                Unit.objects.bulk_create(part)
            for unit in fresh:
                prefix = unit.parent.path if unit.parent is not None else ""
                unit.path = f"{prefix}{unit.pk}/"
                unit.depth = unit.path.count("/") - 1
                units[unit.code] = unit
            Unit.objects.bulk_update(fresh, ["path", "depth"], batch_size=500)
            # The closure Unit.save keeps for one unit, for all of them at once.
            UnitAncestor.objects.bulk_create(
                [
                    UnitAncestor(unit_id=unit.pk, ancestor_id=int(part))
                    for unit in fresh
                    for part in unit.path.split("/")
                    if part
                ],
                batch_size=2000,
            )
            counts.new += len(fresh)

            changed: list[Unit] = []
            moved: list[Unit] = []
            fresh_codes = {unit.code for unit in fresh}
            for row in rows:
                if row.code in fresh_codes:
                    continue
                unit = units[row.code]
                parent = units[row.parent_code] if row.parent_code else None
                category = unit.category if keep_category else row.category
                if (
                    unit.name == row.name
                    and unit.level == row.level
                    and unit.parent_id == (parent.pk if parent else None)
                    and unit.category_id == (category.pk if category else None)
                ):
                    counts.unchanged += 1
                    continue
                is_move = unit.parent_id != (parent.pk if parent else None)
                unit.name, unit.level, unit.category = row.name, row.level, category
                unit.parent = parent
                unit.updated_at = now
                (moved if is_move else changed).append(unit)
            Unit.objects.bulk_update(
                changed, ["name", "level", "category", "updated_at"], batch_size=500
            )
            for unit in moved:
                # Unit.save rewrites the paths of the whole subtree.
                unit.save()
            counts.updated += len(changed) + len(moved)
            if moved:
                self._reload_paths(units)

    @staticmethod
    def _reload_paths(units: dict[str, Unit]) -> None:
        by_pk = {unit.pk: unit for unit in units.values()}
        for part in chunked(sorted(by_pk)):
            for pk, path, depth in Unit.objects.filter(pk__in=part).values_list(
                "pk", "path", "depth"
            ):
                by_pk[pk].path, by_pk[pk].depth = path, depth
