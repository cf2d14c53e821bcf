"""Volunteers and what belongs to each person: memberships, trainings, record
books, insurance, honour cards and awards.

The national ID is personal data: it is the de-duplication key, shown masked
except to those who must see it, and it never leaves this app in a report.
"""

from django.db import models
from django.db.models import Q

from vsis.core.rocdate import format_roc
from vsis.units.models import ServiceCategory, Unit


class Sex(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


class IdKind(models.TextChoices):
    NATIONAL = "national", "身分證統一編號"
    RESIDENT = "resident", "居留證號碼"
    PASSPORT = "passport", "護照號碼"


class Volunteer(models.Model):
    """One person, whichever teams they serve in."""

    national_id = models.CharField("身分證字號", max_length=20, unique=True)
    id_kind = models.CharField(
        "證號類別", max_length=10, choices=IdKind.choices, default=IdKind.NATIONAL
    )
    name = models.CharField("姓名", max_length=100)
    sex = models.CharField("性別", max_length=1, choices=Sex.choices)
    birth_date = models.DateField("出生日期")
    phone = models.CharField("電話", max_length=30, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    education = models.CharField("學歷", max_length=30, blank=True)
    is_indigenous = models.BooleanField("原住民", default=False)
    is_new_resident = models.BooleanField("新住民", default=False)
    skills = models.CharField("專長", max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "志工"
        verbose_name_plural = "志工"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class MembershipStatus(models.TextChoices):
    ACTIVE = "active", "服務中"
    SUSPENDED = "suspended", "暫停中"
    INTERN = "intern", "實習中"
    QUIT = "quit", "退出"


class Membership(models.Model):
    """隊員資格: a volunteer's membership of one team for a span of time.

    A person may hold several at once (several teams) and, over the years,
    several in the same team (left and rejoined); spans of one person in one
    team do not overlap. See reports.queries for when one is counted.
    """

    volunteer = models.ForeignKey(
        Volunteer,
        verbose_name="志工",
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    team = models.ForeignKey(
        Unit,
        verbose_name="志工隊",
        on_delete=models.PROTECT,
        related_name="memberships",
        limit_choices_to={"level": 6},
    )
    joined_on = models.DateField("加入日期")
    left_on = models.DateField("離隊日期", null=True, blank=True)
    status = models.CharField(
        "志工狀態",
        max_length=10,
        choices=MembershipStatus.choices,
        default=MembershipStatus.ACTIVE,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "隊員資格"
        verbose_name_plural = "隊員資格"
        constraints = [
            models.UniqueConstraint(
                fields=["volunteer", "team", "joined_on"],
                name="membership_unique_start",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True)
                | Q(left_on__gte=models.F("joined_on")),
                name="membership_left_after_joined",
            ),
        ]
        indexes = [
            # The age report and the returns scan memberships of a set of teams
            # active on one date.
            models.Index(
                fields=["team", "joined_on", "left_on"], name="membership_team_idx"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.volunteer.name}・{self.team.name}（{format_roc(self.joined_on)}起）"
        )


class TrainingKind(models.TextChoices):
    BASIC = "basic", "基礎訓練"
    SPECIAL = "special", "特殊訓練"


class Training(models.Model):
    """教育訓練 completed by a volunteer."""

    volunteer = models.ForeignKey(
        Volunteer,
        verbose_name="志工",
        on_delete=models.CASCADE,
        related_name="trainings",
    )
    kind = models.CharField("訓練類別", max_length=10, choices=TrainingKind.choices)
    category = models.ForeignKey(
        ServiceCategory,
        verbose_name="服務類別",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="特殊訓練所屬的服務類別",
    )
    completed_on = models.DateField("完訓日期")
    provider = models.CharField("辦理單位", max_length=100, blank=True)
    hours = models.DecimalField("時數", max_digits=5, decimal_places=1, default=12)

    class Meta:
        verbose_name = "教育訓練"
        verbose_name_plural = "教育訓練"
        constraints = [
            models.UniqueConstraint(
                fields=["volunteer", "kind", "completed_on"], name="training_unique"
            ),
        ]
        indexes = [models.Index(fields=["volunteer", "kind", "completed_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.completed_on}"


class RecordBookStatus(models.TextChoices):
    FIRST = "first", "初次"
    RENEWED = "renewed", "換發"
    REISSUED = "reissued", "補發"
    CANCELLED = "cancelled", "註銷"


class RecordBook(models.Model):
    """志願服務紀錄冊: a book issued to a person; renewals add new rows."""

    volunteer = models.ForeignKey(
        Volunteer,
        verbose_name="志工",
        on_delete=models.CASCADE,
        related_name="record_books",
    )
    number = models.CharField("紀錄冊編號", max_length=30, unique=True)
    issued_on = models.DateField("發冊日期")
    issuing_unit = models.ForeignKey(
        Unit,
        verbose_name="發冊單位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        "狀態",
        max_length=10,
        choices=RecordBookStatus.choices,
        default=RecordBookStatus.FIRST,
    )
    cancelled_on = models.DateField("註銷日期", null=True, blank=True)

    class Meta:
        verbose_name = "志願服務紀錄冊"
        verbose_name_plural = "志願服務紀錄冊"
        indexes = [models.Index(fields=["volunteer", "issued_on"])]

    def __str__(self) -> str:
        return self.number


class Insurance(models.Model):
    """意外事故保險 covering a volunteer from `starts_on` to `ends_on`."""

    volunteer = models.ForeignKey(
        Volunteer,
        verbose_name="志工",
        on_delete=models.CASCADE,
        related_name="insurances",
    )
    starts_on = models.DateField("保險起日")
    ends_on = models.DateField("保險迄日")
    insurer = models.CharField("保險公司", max_length=100, blank=True)
    policy_number = models.CharField("保單號碼", max_length=50, blank=True)

    class Meta:
        verbose_name = "意外事故保險"
        verbose_name_plural = "意外事故保險"
        constraints = [
            models.UniqueConstraint(
                fields=["volunteer", "starts_on", "ends_on"], name="insurance_unique"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="insurance_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["volunteer", "starts_on", "ends_on"])]

    def __str__(self) -> str:
        return f"{self.starts_on}–{self.ends_on}"


class HonourCard(models.Model):
    """志願服務榮譽卡, issued by the county and valid for three years."""

    volunteer = models.ForeignKey(
        Volunteer,
        verbose_name="志工",
        on_delete=models.CASCADE,
        related_name="honour_cards",
    )
    number = models.CharField("卡號", max_length=30, blank=True)
    issued_on = models.DateField("核發日期")
    valid_until = models.DateField("有效期限")
    issuing_unit = models.ForeignKey(
        Unit,
        verbose_name="核發單位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "志願服務榮譽卡"
        verbose_name_plural = "志願服務榮譽卡"
        indexes = [models.Index(fields=["volunteer", "issued_on", "valid_until"])]

    def __str__(self) -> str:
        return f"{self.number or self.pk} ({self.issued_on})"


class Award(models.Model):
    """獎勵: e.g. the bronze, silver and gold medals at 3,000 / 5,000 / 8,000 hours."""

    volunteer = models.ForeignKey(
        Volunteer,
        verbose_name="志工",
        on_delete=models.CASCADE,
        related_name="awards",
    )
    name = models.CharField("獎項", max_length=100)
    awarded_on = models.DateField("獎勵日期")
    awarding_unit = models.ForeignKey(
        Unit,
        verbose_name="頒發單位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "獎勵"
        verbose_name_plural = "獎勵"
        indexes = [models.Index(fields=["volunteer", "awarded_on"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.awarded_on})"
