from django.contrib.auth.management import create_permissions
from django.db import migrations

from articles.roles import setup_roles


def cover_new_models(apps, schema_editor):
    # The roles were made (articles 0003) before the audit log, lockouts and
    # sessions existed: give the Administrator role their permissions too.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    setup_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("articles", "0008_tag_slugs"),
        ("axes", "0010_accessattemptexpiration"),
        ("qsessions", "0002_session_created_at"),
    ]

    operations = [
        migrations.RunPython(cover_new_models, migrations.RunPython.noop),
    ]
