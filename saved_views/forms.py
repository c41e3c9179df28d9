"""The forms of saved views: save the list's state under a name, rename."""

from __future__ import annotations

from django import forms

from saved_views.models import MAX_NAME_LENGTH

PERSONAL = ""


class ViewNameField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(
            max_length=MAX_NAME_LENGTH,
            strip=True,
            error_messages={
                "required": "Give the view a name.",
                "max_length": f"A name is at most {MAX_NAME_LENGTH} characters long.",
            },
            **kwargs,
        )


class SaveViewForm(forms.Form):
    name = ViewNameField(label="Name")
    share = forms.TypedChoiceField(
        label="Who sees it",
        required=False,
        coerce=lambda value: int(value) if value else None,
        empty_value=None,
        error_messages={
            "invalid_choice": "You may share a view only with an organization you administer."
        },
    )
    make_default = forms.BooleanField(label="Open it when I open Devices", required=False)
    pin = forms.BooleanField(label="Pin it to my overview", required=False)
    # The list's URL query at the moment of saving; re-parsed by the list's own parser, which
    # bounds what is kept (a search cut as the list cuts it), so its length is not refused.
    query = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["share"].choices = [(PERSONAL, "Only me"), *(
            (str(o.upstream_id), f"Everyone in {o.name} (#{o.upstream_id})")
            for o in organizations
        )]  # fmt: skip


class RenameViewForm(forms.Form):
    name = ViewNameField(label="New name")
