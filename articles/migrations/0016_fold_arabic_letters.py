from django.db import migrations


def fill_search_vectors(apps, schema_editor):
    # Stored text is folded now: Arabic-keyboard letters in their Urdu form,
    # optional marks dropped (articles.search.folded).
    from articles.search import update_search_vectors

    update_search_vectors(using=schema_editor.connection.alias, apps=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0015_urdu_names"),
    ]

    operations = [
        migrations.RunPython(fill_search_vectors, migrations.RunPython.noop),
    ]
