"""The form of a new note on a device."""

from __future__ import annotations

from django import forms

from devices.note_models import NOTE_MAX_LENGTH


class NoteForm(forms.Form):
    text = forms.CharField(
        label="Add a note",
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=f"Up to {NOTE_MAX_LENGTH} characters. Anyone who may see this device reads it.",
        error_messages={
            "required": "Type the note first.",
            "max_length": f"A note is at most {NOTE_MAX_LENGTH} characters "
            "(this one has %(show_value)d).",
        },
    )
    pin = forms.BooleanField(required=False, label="Pin it as a warning")
