from django import forms
from django.utils.translation import gettext_lazy as _


class SubscribeForm(forms.Form):
    email = forms.EmailField(label=_("Your e-mail address"), max_length=254)
    breaking = forms.BooleanField(label=_("Breaking news"), required=False)
    digest = forms.BooleanField(label=_("Daily digest"), required=False)

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("breaking") and not data.get("digest"):
            raise forms.ValidationError(
                _("Choose breaking news, the daily digest or both.")
            )
        return data
