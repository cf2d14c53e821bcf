"""資料管理 of units, service categories and accounts."""

import copy
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.password_validation import (
    password_validators_help_texts,
    validate_password,
)
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from vsis.units import services
from vsis.units.adminsite import (
    ScopedModelAdmin,
    ScopedModelForm,
    attach_errors,
    non_team_units,
    roc,
    vsis_admin,
)
from vsis.units.models import Level, ServiceCategory, Unit, User
from vsis.units.scope import scope_root

# --- units -------------------------------------------------------------------


class ClosedFilter(admin.SimpleListFilter):
    title = "營運狀態"
    parameter_name = "closed"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("no", "運作中"), ("yes", "已裁撤")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        if self.value() == "no":
            return queryset.filter(closed_on__isnull=True)
        if self.value() == "yes":
            return queryset.filter(closed_on__isnull=False)
        return queryset


class UnitForm(ScopedModelForm):
    actor: Any = None  # set per request by UnitAdmin.get_form

    class Meta:
        model = Unit
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        unit = self.instance
        for name in ("parent", "level", "category", "opened_on", "closed_on", "code"):
            if name in cleaned:
                setattr(unit, name, cleaned[name])
        if self.errors:
            return cleaned
        previous = Unit.objects.get(pk=unit.pk) if unit.pk is not None else None
        try:
            services.check_unit(unit, actor=self.actor, previous=previous)
        except ValidationError as error:
            attach_errors(self, error)
        return cleaned


@admin.register(Unit, site=vsis_admin)
class UnitAdmin(ScopedModelAdmin):
    scope_field = ""
    form = UnitForm
    list_display = (
        "code",
        "tree_name",
        "level",
        "parent_name",
        "category",
        "opened",
        "closed",
    )
    list_display_links = ("code", "tree_name")
    list_filter = ("level", "category", ClosedFilter)
    list_select_related = ("parent", "category")
    search_fields = ("code", "name")
    search_help_text = "輸入單位代碼（完全相符）或名稱的一部分"
    ordering = ("path",)
    fieldsets = (
        (None, {"fields": ("code", "name", "level", "parent", "category")}),
        ("日期", {"fields": ("opened_on", "closed_on")}),
    )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(Q(code=term.upper()) | Q(name__icontains=term)), False

    @admin.display(description="單位名稱", ordering="name")
    def tree_name(self, obj: Unit) -> str:
        return format_html(
            '<span style="padding-left:{}em">{}</span>', max(obj.depth - 1, 0), obj.name
        )

    @admin.display(description="上層單位", ordering="parent__code")
    def parent_name(self, obj: Unit) -> str:
        return obj.parent.name if obj.parent else ""

    @admin.display(description="成立日期", ordering="opened_on")
    def opened(self, obj: Unit) -> str:
        return roc(obj.opened_on)

    @admin.display(description="裁撤日期", ordering="closed_on")
    def closed(self, obj: Unit) -> str:
        return roc(obj.closed_on)

    def choices_for(self, request: HttpRequest, db_field: Any) -> Any:
        choices = super().choices_for(request, db_field)
        if db_field.name == "parent" and choices is not None:
            return non_team_units(choices)
        return choices

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        user: Any = request.user
        if obj is not None and not user.is_superuser and obj.pk == user.unit_id:
            # The top of one's own scope stays where the level above put it.
            return ("parent", "level")
        return ()

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial: dict[str, Any] = dict(super().get_changeform_initial_data(request))
        root = scope_root(request.user)
        if root is not None and "parent" not in initial and not root.is_team:
            initial["parent"] = root.pk
            initial.setdefault("level", min(root.level + 1, Level.TEAM))
        return initial

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        user: Any = request.user
        if obj is not None and not user.is_superuser and obj.pk == user.unit_id:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(
        self, request: HttpRequest, obj: Unit, form: Any, change: bool
    ) -> None:
        services.save_unit(obj, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: Unit) -> None:
        services.delete_unit(obj, actor=request.user)

    def autocomplete_label(self, obj: Unit) -> str:
        return f"{obj.code} {obj.name}"


# --- service categories --------------------------------------------------------


@admin.register(ServiceCategory, site=vsis_admin)
class ServiceCategoryAdmin(ScopedModelAdmin):
    scope_field = None
    list_display = ("name", "sort_order", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name",)
    ordering = ("sort_order", "name")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def save_model(
        self, request: HttpRequest, obj: ServiceCategory, form: Any, change: bool
    ) -> None:
        services.save_category(obj, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: ServiceCategory) -> None:
        services.delete_category(obj, actor=request.user)


# --- accounts --------------------------------------------------------------------


class PasswordFields(forms.Form):
    """Two password boxes, or 自動產生 for a password shown once."""

    generate = forms.BooleanField(
        label="自動產生密碼",
        required=False,
        help_text="勾選時由系統產生密碼，只在下一頁顯示一次",
    )
    password1 = forms.CharField(
        label="密碼",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="；".join(str(text) for text in password_validators_help_texts()),
    )
    password2 = forms.CharField(
        label="再次輸入密碼",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


def clean_password_fields(form: forms.BaseForm) -> str:
    """The typed password (validated), or "" when one is to be generated."""
    cleaned = form.cleaned_data
    if cleaned.get("generate"):
        return ""
    first, second = cleaned.get("password1"), cleaned.get("password2")
    if not first:
        form.add_error("password1", "請輸入密碼，或勾選自動產生密碼")
    elif first != second:
        form.add_error("password2", "兩次輸入的密碼不一致")
    else:
        try:
            validate_password(first)
        except ValidationError as error:
            form.add_error("password1", error)
    return first or ""


class PasswordResetForm(PasswordFields):
    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        self.password = clean_password_fields(self)
        return cleaned


class AccountForm(ScopedModelForm):
    actor: Any = None  # set per request by AccountAdmin.get_form

    class Meta:
        model = User
        fields: tuple[str, ...] = (
            "username",
            "first_name",
            "unit",
            "role",
            "is_active",
            "is_superuser",
        )
        labels = {
            "first_name": "姓名",
            "is_active": "啟用",
            "is_superuser": "超級使用者",
        }
        help_texts = {
            "username": "登入用的帳號：英文字母、數字與 @ . + - _",
            "is_active": "取消勾選即停用帳號（無法再登入，紀錄仍保留）",
            "is_superuser": "可看見並修改所有單位的資料",
        }

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        candidate = copy.copy(self.instance)
        for name in ("unit", "role", "is_active", "is_superuser"):
            if name in cleaned:
                setattr(candidate, name, cleaned[name])
        if candidate.unit is None and not candidate.is_superuser:
            self.add_error("unit", "請選擇所屬單位")
        previous = None
        if self.instance.pk is not None:
            previous = User.objects.select_related("unit").get(pk=self.instance.pk)
        try:
            services.check_account_rights(self.actor, candidate, previous)
        except PermissionDenied as error:
            self.add_error(None, str(error))
        return cleaned


class AccountAddForm(AccountForm):
    generate = PasswordFields.base_fields["generate"]
    password1 = PasswordFields.base_fields["password1"]
    password2 = PasswordFields.base_fields["password2"]

    class Meta(AccountForm.Meta):
        fields = ("username", "first_name", "unit", "role", "is_superuser")

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        self.password = clean_password_fields(self)
        return cleaned


@admin.register(User, site=vsis_admin)
class AccountAdmin(ScopedModelAdmin):
    """Accounts, for 單位管理者 (in their scope) and superusers only.

    Accounts are deactivated, never deleted: the audit trail names them.
    """

    scope_field = None
    form = AccountForm
    list_display = (
        "username",
        "display_name",
        "unit",
        "role_label",
        "state",
        "last_login_roc",
    )
    list_filter = ("role", "is_active", "is_superuser", "unit__level")
    list_select_related = ("unit",)
    search_fields = ("username", "first_name", "unit__code")
    search_help_text = "帳號、姓名或單位代碼"
    ordering = ("unit__path", "username")
    readonly_fields = ("password_link", "last_login_roc", "joined_roc")
    actions = ("deactivate",)

    def scope_queryset(
        self, request: HttpRequest, queryset: QuerySet[Any]
    ) -> QuerySet[Any]:
        return queryset.filter(pk__in=services.accounts_in_scope(request.user))

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        # A role too weak for accounts is a 403 for every account, before any
        # lookup: it learns nothing about which accounts exist.
        if not self.has_module_permission(request):
            raise PermissionDenied("只有單位管理者可以管理帳號")
        return super().get_object(request, object_id, from_field)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.can_manage_accounts)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = ["username", "first_name", "unit", "role"]
        if obj is not None:
            fields.append("is_active")
        if request.user.is_superuser:
            fields.append("is_superuser")
        if obj is None:
            return (
                (None, {"fields": fields}),
                ("密碼", {"fields": ("generate", "password1", "password2")}),
            )
        return (
            (None, {"fields": fields}),
            ("紀錄", {"fields": ("password_link", "last_login_roc", "joined_roc")}),
        )

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = AccountAddForm
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    @admin.display(description="姓名", ordering="first_name")
    def display_name(self, obj: User) -> str:
        return obj.first_name

    @admin.display(description="狀態", ordering="is_active")
    def state(self, obj: User) -> str:
        return "啟用" if obj.is_active else "停用"

    @admin.display(description="角色", ordering="role")
    def role_label(self, obj: User) -> str:
        return "超級使用者" if obj.is_superuser else obj.get_role_display()

    @admin.display(description="最後登入", ordering="last_login")
    def last_login_roc(self, obj: User) -> str:
        if obj.last_login is None:
            return "從未登入"
        return roc(timezone.localtime(obj.last_login).date())

    @admin.display(description="建立日期")
    def joined_roc(self, obj: User) -> str:
        return roc(timezone.localtime(obj.date_joined).date())

    @admin.display(description="密碼")
    def password_link(self, obj: User) -> str:
        url = reverse(f"{self.admin_site.name}:units_user_password", args=[obj.pk])
        return format_html('<a class="button" href="{}">重設密碼</a>', url)

    def save_model(
        self, request: HttpRequest, obj: User, form: Any, change: bool
    ) -> None:
        if change:
            services.update_account(obj, actor=request.user)
            return
        password = form.password or services.generate_password()
        created = services.create_account(
            actor=request.user,
            username=obj.username,
            unit=obj.unit,
            role=obj.role,
            password=password,
            display_name=obj.first_name,
            is_superuser=obj.is_superuser,
        )
        obj.pk, obj.password = created.pk, created.password
        obj._state.adding = False
        # Handed to response_add, which shows it once; never stored or logged.
        obj.generated_password = "" if form.password else password  # type: ignore[attr-defined]

    def response_add(
        self, request: HttpRequest, obj: User, post_url_continue: str | None = None
    ) -> HttpResponse:
        generated = getattr(obj, "generated_password", "")
        if generated:
            return self._show_password(request, obj, generated, "帳號已建立")
        return super().response_add(request, obj, post_url_continue)

    def _show_password(
        self, request: HttpRequest, account: User, password: str, title: str
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "account": account,
            "password": password,
            "back": reverse(
                f"{self.admin_site.name}:units_user_change", args=[account.pk]
            ),
        }
        response = TemplateResponse(
            request, "admin/units/user/password_shown.html", context
        )
        # The page holds a password: no browser or proxy may keep a copy.
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="停用所選帳號")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        done = 0
        for account in queryset.filter(is_active=True):
            try:
                services.deactivate_account(account, actor=request.user)
            except PermissionDenied as error:
                self.message_user(
                    request, f"{account.username}：{error}", messages.ERROR
                )
            else:
                done += 1
        self.message_user(request, f"已停用 {done} 個帳號", messages.SUCCESS)

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<path:object_id>/password/",
                self.admin_site.admin_view(self.password_view),
                name="units_user_password",
            )
        ]
        return own + super().get_urls()

    def password_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """重設密碼: a new password typed twice, or generated and shown once."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        account = self.get_object(request, object_id)
        form = PasswordResetForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            password = form.password or services.generate_password()
            try:
                services.set_account_password(account, password, actor=request.user)
            except (ValidationError, PermissionDenied) as error:
                form.add_error(
                    None,
                    error.messages
                    if isinstance(error, ValidationError)
                    else str(error),
                )
            else:
                self.log_change(request, account, "重設密碼")
                if not form.password:
                    return self._show_password(request, account, password, "密碼已重設")
                self.message_user(request, "密碼已重設", messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse(
                        f"{self.admin_site.name}:units_user_change", args=[account.pk]
                    )
                )
        context = {
            **self.admin_site.each_context(request),
            "title": f"重設密碼：{account.username}",
            "opts": self.opts,
            "original": account,
            "form": form,
        }
        return TemplateResponse(
            request, "admin/units/user/password_reset.html", context
        )
