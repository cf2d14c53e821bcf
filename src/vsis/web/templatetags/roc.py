"""Template filters that show dates in the ROC calendar."""

import datetime as dt

from django import template

from vsis.core.national_id import mask_id
from vsis.core.rocdate import format_roc, format_roc_long, roc_year

register = template.Library()


@register.filter
def roc(value: dt.date | None) -> str:
    """113/12/31"""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        from django.utils import timezone

        value = timezone.localtime(value)
        return f"{format_roc(value.date())} {value:%H:%M}"
    return format_roc(value)


@register.filter
def roc_long(value: dt.date | None) -> str:
    """113年12月31日"""
    return "" if value is None else format_roc_long(value)


@register.filter
def rocyear(value: int | None) -> str:
    """113 for 2024"""
    return "" if value is None else str(roc_year(int(value)))


@register.filter
def masked(value: str | None) -> str:
    """A12****789"""
    return "" if not value else mask_id(value)
