"""Tags whose names have no letters or digits were saved with an empty slug,
which no address can hold; give them one made from the name, as new tags
get (articles.signals.tag_needs_a_slug)."""

import hashlib

from django.db import migrations


def give_empty_slugs_one(apps, schema_editor):
    Tag = apps.get_model("taggit", "Tag")
    for tag in Tag.objects.filter(slug=""):
        digest = hashlib.sha1(tag.name.encode(), usedforsecurity=False)
        tag.slug = f"tag-{digest.hexdigest()[:10]}"
        tag.save(update_fields=["slug"])


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0007_purge"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]

    operations = [migrations.RunPython(give_empty_slugs_one, migrations.RunPython.noop)]
