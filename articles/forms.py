from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelectMultiple
from taggit.models import Tag
from taggit.utils import parse_tags

from .models import Article


class ArticleAdminForm(forms.ModelForm):
    """Tags are picked with the admin's autocomplete; new ones are typed in."""

    tags = forms.ModelMultipleChoiceField(
        queryset=Tag.objects.all(),
        required=False,
        widget=AutocompleteSelectMultiple(Article._meta.get_field("tags"), admin.site),
        help_text="Start typing to find an existing tag.",
    )
    new_tags = forms.CharField(
        required=False,
        max_length=500,
        help_text="Tags that do not exist yet, separated by commas.",
    )

    class Meta:
        model = Article
        # ArticleAdmin passes the full field list from its fieldsets.
        fields = ["tags"]

    def clean_new_tags(self) -> list[str]:
        names = parse_tags(self.cleaned_data["new_tags"])
        too_long = [name for name in names if len(name) > 100]
        if too_long:
            raise forms.ValidationError("A tag can be at most 100 characters long.")
        return names

    def _save_m2m(self) -> None:
        super()._save_m2m()
        if self.cleaned_data.get("new_tags"):
            self.instance.tags.add(*self.cleaned_data["new_tags"])
