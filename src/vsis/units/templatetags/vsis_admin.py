"""Template filters of the 資料管理 site."""

from django import template

from vsis.units.adminsite import roc_title as _roc_title

register = template.Library()


@register.filter
def roc_title(value: object) -> str:
    """A date-hierarchy label in the ROC calendar: 2024年1月 → 113年1月."""
    return _roc_title(str(value))
