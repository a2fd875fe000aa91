from django.contrib.auth.management import create_permissions
from django.db import migrations

from articles.roles import setup_roles


def create_roles(apps, schema_editor):
    # Permissions are normally made after all migrations have run; make the
    # alerts app's now so the groups can be given them (see 0002_roles).
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    setup_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0003_push"),
        ("live", "0002_roles"),
        ("articles", "0003_roles"),
    ]

    operations = [
        migrations.RunPython(create_roles, migrations.RunPython.noop),
    ]
