"""The unit tree, service categories and user accounts."""

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr


class Level(models.IntegerChoices):
    """The six levels of DOMAIN.md §1, top (1) to bottom (6)."""

    CENTRAL = 1, "中央主管機關"
    MINISTRY = 2, "中央目的事業主管機關"
    COUNTY = 3, "直轄市、縣(市)政府"
    LOCAL = 4, "地方目的事業主管機關"
    USING = 5, "志願服務運用單位"
    TEAM = 6, "志工隊"


class ServiceCategory(models.Model):
    """服務類別: a closed list an administrator may extend."""

    name = models.CharField("名稱", max_length=32, unique=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)
    is_active = models.BooleanField("啟用", default=True)

    class Meta:
        verbose_name = "服務類別"
        verbose_name_plural = "服務類別"
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """One node of the tree: an office, a volunteer-using unit or a team.

    `path` is the materialised path of primary keys from the root, each followed
    by "/" (e.g. "1/5/23/"): the subtree of a unit is every unit whose path starts
    with its own, which one indexed range scan answers. Unit.save keeps it
    current, moving its subtree along when the parent changes, and the
    UnitAncestor closure with it. Bulk loaders must fill both themselves.
    """

    code = models.CharField("單位代碼", max_length=20, unique=True)
    name = models.CharField("單位名稱", max_length=100)
    level = models.PositiveSmallIntegerField("單位層級", choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="上層單位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, editable=False, default="")
    depth = models.PositiveSmallIntegerField(editable=False, default=0)
    category = models.ForeignKey(
        ServiceCategory,
        verbose_name="服務類別",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units",
    )
    opened_on = models.DateField("成立日期", null=True, blank=True)
    closed_on = models.DateField("裁撤日期", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "單位"
        verbose_name_plural = "單位"
        ordering = ["path"]
        indexes = [
            # varchar_pattern_ops lets PostgreSQL use the index for LIKE 'x/%'
            # under any collation; SQLite uses the plain index for the range.
            models.Index(
                fields=["path"], name="unit_path_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["level", "path"], name="unit_level_path_idx"),
            models.Index(fields=["parent", "code"], name="unit_parent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, keeping `path` and `depth` of this unit and its subtree current."""
        with transaction.atomic():
            is_new = self.pk is None
            if is_new:
                super().save(*args, **kwargs)
            old_path = "" if is_new else self.path
            prefix = self.parent.path if self.parent is not None else ""
            new_path = f"{prefix}{self.pk}/"
            if old_path and new_path.startswith(old_path) and new_path != old_path:
                raise ValueError("a unit cannot move under its own subtree")
            self.path, self.depth = new_path, new_path.count("/") - 1
            if old_path and old_path != new_path:
                # Re-parenting: rewrite the prefix of every unit below.
                type(self).objects.filter(path__startswith=old_path).exclude(
                    pk=self.pk
                ).update(
                    path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
                    depth=F("depth") + (self.depth - old_path.count("/") + 1),
                )
            if is_new:
                type(self).objects.filter(pk=self.pk).update(
                    path=self.path, depth=self.depth
                )
            else:
                super().save(*args, **kwargs)
            if old_path != new_path:
                UnitAncestor.rebuild_below(self)

    @property
    def is_team(self) -> bool:
        return self.level == Level.TEAM

    def ancestor_ids(self) -> list[int]:
        """Primary keys from the root down to this unit, itself included."""
        return [int(part) for part in self.path.split("/") if part]

    def is_within(self, other: "Unit") -> bool:
        """True when this unit is `other` or below it."""
        return bool(other.path) and self.path.startswith(other.path)


class UnitAncestor(models.Model):
    """Closure of the tree: one row per (unit, ancestor), the unit itself included.

    Lets one GROUP BY count distinct persons per unit of a whole subtree (歸戶),
    which a prefix match on `path` cannot do in a join. Derived from `path`.
    """

    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="ancestor_links"
    )
    ancestor = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="descendant_links"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "ancestor"], name="unit_ancestor_unique"
            )
        ]
        indexes = [models.Index(fields=["ancestor", "unit"], name="unit_ancestor_idx")]

    def __str__(self) -> str:
        return f"{self.unit_id}<{self.ancestor_id}"

    @staticmethod
    def rebuild_below(top: Unit) -> None:
        """Recompute the rows of `top` and every unit below it from their paths."""
        below = Unit.objects.filter(path__startswith=top.path).values_list("pk", "path")
        ids = []
        rows: list[UnitAncestor] = []
        for unit_id, path in below.iterator(chunk_size=2000):
            ids.append(unit_id)
            rows.extend(
                UnitAncestor(unit_id=unit_id, ancestor_id=int(part))
                for part in path.split("/")
                if part
            )
        UnitAncestor.objects.filter(unit_id__in=ids).delete()
        UnitAncestor.objects.bulk_create(rows, batch_size=2000)


class Role(models.TextChoices):
    CLERK = "clerk", "承辦人"
    VIEWER = "viewer", "檢視者"
    ADMIN = "admin", "單位管理者"


class User(AbstractUser):
    """An account belongs to one unit and acts on that unit's subtree."""

    unit = models.ForeignKey(
        Unit,
        verbose_name="所屬單位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    role = models.CharField(
        "角色", max_length=16, choices=Role.choices, default=Role.VIEWER
    )

    class Meta:
        verbose_name = "帳號"
        verbose_name_plural = "帳號"

    @property
    def can_edit(self) -> bool:
        """Edit data, run imports and file returns (承辦人, 單位管理者)."""
        return self.is_active and (
            self.is_superuser or self.role in (Role.CLERK, Role.ADMIN)
        )

    @property
    def can_manage_accounts(self) -> bool:
        return self.is_active and (self.is_superuser or self.role == Role.ADMIN)
