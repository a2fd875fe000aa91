from django.db import migrations


def fill_search_vectors(apps, schema_editor):
    # Urdu stories are indexed with the 'simple' configuration now, not with
    # the English stemmer (articles.search.story_config).
    from articles.search import update_search_vectors

    update_search_vectors(using=schema_editor.connection.alias, apps=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0013_language"),
    ]

    operations = [
        migrations.RunPython(fill_search_vectors, migrations.RunPython.noop),
    ]
