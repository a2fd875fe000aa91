from django.contrib.admin.apps import AdminConfig
from taggit.apps import TaggitAppConfig


class TagsConfig(TaggitAppConfig):
    """django-taggit as the admin shows it: "Tags", not "Taggit". (Not in
    articles/apps.py: Django picks an app's config by itself only when its
    apps.py has one.)"""

    verbose_name = "Tags"


class NewsroomAdminConfig(AdminConfig):
    """Django's admin with the newsroom's desk as its first page
    (articles/desk.py)."""

    default_site = "articles.desk.DeskAdminSite"
