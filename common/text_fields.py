"""A form field of text over several lines, read as it is stored: the one rule for textareas."""

from __future__ import annotations

from django import forms


class LinesField(forms.CharField):
    """Text with line breaks as the control API stores them: a browser posts a textarea's
    as CRLF, which would count each twice against a length limit and change the value."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n") if value else value
