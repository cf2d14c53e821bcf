"""The condition forms of the two VR report pages.

Dates are typed as text and read with vsis.core.rocdate (ROC or Gregorian);
the unit is typed or picked by its code; one outside the user's scope gets
the same form error as an unknown code (it does not exist for them). Each
form's `params()` is the same parameter object the CLI builds.
"""

import datetime as dt
from typing import Any

from django import forms
from django.urls import reverse
from django.utils import timezone

from vsis.core.rocdate import format_roc
from vsis.reports.params import (
    AgeParams,
    ReportParamError,
    ReportParams,
    ServiceParams,
    read_date,
)
from vsis.units.models import ServiceCategory, Unit
from vsis.units.scope import is_in_scope
from vsis.volunteers.models import MembershipStatus, Sex

DATE_HELP = "可輸入民國或西元日期，例如 113/12/31、1131231 或 2024-12-31"


def _date_input() -> forms.TextInput:
    return forms.TextInput(attrs={"size": 12, "placeholder": "113/12/31"})


class ReportForm(forms.Form):
    unit = forms.CharField(
        label="單位",
        max_length=20,
        help_text="輸入單位代碼或名稱的一部分，從清單中選取",
        error_messages={"required": "請選擇單位"},
        widget=forms.TextInput(
            attrs={"list": "unit-options", "autocomplete": "off", "size": 28}
        ),
    )
    include_subunits = forms.BooleanField(label="含下層單位", required=False)
    category = forms.ModelChoiceField(
        label="服務類別",
        queryset=ServiceCategory.objects.filter(is_active=True),
        to_field_name="name",
        required=False,
        empty_label="全部",
        error_messages={"invalid_choice": "請從清單中選擇服務類別"},
    )
    dedupe = forms.BooleanField(
        label="歸戶",
        required=False,
        help_text="依身分證統一編號，每人在每一列只計一次",
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.unit_obj: Unit | None = None
        # Type a code or a name: htmx refills the <datalist> with matches.
        self.fields["unit"].widget.attrs.update(
            {
                "hx-get": reverse("reports:units"),
                "hx-trigger": "input changed delay:250ms",
                "hx-target": "#unit-options",
                "hx-swap": "innerHTML",
            }
        )

    def clean_unit(self) -> str:
        # A pasted "A110 甲市立醫院" still works: the code is the first word.
        typed = self.cleaned_data["unit"].split()[0]
        unit = Unit.objects.filter(code=typed).first()
        unit = unit or Unit.objects.filter(code__iexact=typed).first()
        # A unit outside the scope reads exactly like one that does not exist.
        if unit is None or not is_in_scope(self.user, unit):
            raise forms.ValidationError(
                f"查無單位代碼（或不在您的權限範圍內）：{typed}"
            )
        self.unit_obj = unit
        return unit.code

    def params(self) -> ReportParams:
        """The conditions as the parameter object the CLI and the jobs use."""
        raise NotImplementedError

    def _read_date(self, field: str, label: str) -> dt.date:
        try:
            return read_date(self.cleaned_data[field], label)
        except ReportParamError as exc:
            raise forms.ValidationError(str(exc)) from None

    def _common(self) -> dict[str, Any]:
        data = self.cleaned_data
        category = data.get("category")
        return {
            "unit": data["unit"],
            "include_subunits": data["include_subunits"],
            "category": category.name if category else None,
            "dedupe": data["dedupe"],
        }


class AgeReportForm(ReportForm):
    """志工年齡分布表: 基準日 (default today), 志工狀態, 性別."""

    as_of = forms.CharField(
        label="基準日",
        help_text=DATE_HELP,
        widget=_date_input(),
        error_messages={"required": "請輸入基準日"},
    )
    statuses = forms.MultipleChoiceField(
        label="志工狀態",
        choices=MembershipStatus.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="不勾選即為全部",
        error_messages={"invalid_choice": "志工狀態不正確"},
    )
    sex = forms.ChoiceField(
        label="性別",
        choices=[("", "全部"), *Sex.choices],
        required=False,
        error_messages={"invalid_choice": "性別不正確"},
    )

    field_order = ["unit", "include_subunits", "as_of", "category", "statuses", "sex"]

    @staticmethod
    def defaults(user: Any) -> dict[str, Any]:
        return {
            "unit": user.unit.code if user.unit else "",
            "include_subunits": True,
            "as_of": format_roc(timezone.localdate()),
        }

    def clean_as_of(self) -> dt.date:
        return self._read_date("as_of", "基準日")

    def params(self) -> AgeParams:
        data = self.cleaned_data
        return AgeParams(
            as_of=data["as_of"],
            statuses=tuple(data["statuses"]),
            sex=data["sex"] or None,
            **self._common(),
        )


class ServiceReportForm(ReportForm):
    """志工服務成果表: 服務日期起迄 (both required, inclusive)."""

    start = forms.CharField(
        label="服務日期起",
        help_text=DATE_HELP,
        widget=_date_input(),
        error_messages={"required": "請輸入服務日期起"},
    )
    end = forms.CharField(
        label="服務日期迄",
        widget=_date_input(),
        error_messages={"required": "請輸入服務日期迄"},
    )

    field_order = ["unit", "include_subunits", "start", "end", "category"]

    @staticmethod
    def defaults(user: Any) -> dict[str, Any]:
        today = timezone.localdate()
        return {
            "unit": user.unit.code if user.unit else "",
            "include_subunits": True,
            "start": format_roc(today.replace(month=1, day=1)),
            "end": format_roc(today),
        }

    def clean_start(self) -> dt.date:
        return self._read_date("start", "服務日期起")

    def clean_end(self) -> dt.date:
        return self._read_date("end", "服務日期迄")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "服務日期迄不可早於服務日期起")
        return data

    def params(self) -> ServiceParams:
        data = self.cleaned_data
        return ServiceParams(start=data["start"], end=data["end"], **self._common())
