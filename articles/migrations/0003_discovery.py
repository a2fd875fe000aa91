import django.contrib.postgres.search
from django.db import migrations

# PostgreSQL only: SQLite has neither GIN indexes nor pg_trgm, and searches
# the text columns directly.
INDEXES = [
    (
        "articles_article_search_idx",
        "CREATE INDEX articles_article_search_idx ON articles_article "
        "USING gin (search_vector)",
    ),
    (
        # Typo-tolerant headline matching (search_similar).
        "articles_article_headline_trgm_idx",
        "CREATE INDEX articles_article_headline_trgm_idx ON articles_article "
        "USING gin (headline gin_trgm_ops)",
    ),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension: the database owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for _name, sql in INDEXES:
        schema_editor.execute(sql)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _sql in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def fill_search_vectors(apps, schema_editor):
    from articles.search import update_search_vectors

    update_search_vectors(using=schema_editor.connection.alias, apps=apps)


class Migration(migrations.Migration):

    dependencies = [
        ('articles', '0003_roles'),
        ('taggit', '0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx'),
    ]

    operations = [
        migrations.AddField(
            model_name='article',
            name='search_vector',
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(create_indexes, drop_indexes),
        migrations.RunPython(fill_search_vectors, migrations.RunPython.noop),
    ]
