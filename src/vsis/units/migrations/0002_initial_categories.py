from django.db import migrations

from vsis.units.categories import INITIAL_CATEGORIES


def add_categories(apps, schema_editor):
    ServiceCategory = apps.get_model("units", "ServiceCategory")
    for order, name in enumerate(INITIAL_CATEGORIES, start=1):
        ServiceCategory.objects.get_or_create(name=name, defaults={"sort_order": order})


class Migration(migrations.Migration):
    dependencies = [("units", "0001_initial")]
    operations = [migrations.RunPython(add_categories, migrations.RunPython.noop)]
