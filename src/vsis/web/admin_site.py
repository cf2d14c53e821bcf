"""The data-management site: Django's admin, open to every account with a unit
and scoped to it. Each app registers its models here with ScopedModelAdmin."""

from vsis.units.adminsite import vsis_admin

__all__ = ["vsis_admin"]
