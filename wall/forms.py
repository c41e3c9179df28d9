"""The wall chooser's form: which panels, in which order, and how long each stays."""

from __future__ import annotations

from django import forms

from wall.models import MAX_SECONDS, MIN_SECONDS

NOT_SHOWN = ""


class WallSettingsForm(forms.Form):
    """One "position" field per panel the user may choose (`choices`: (key, title) pairs);
    a panel left without a position is not shown."""

    seconds = forms.IntegerField(
        label="Seconds per panel",
        min_value=MIN_SECONDS,
        max_value=MAX_SECONDS,
        error_messages={
            "required": "Say how many seconds each panel stays on the screen.",
            "invalid": "Seconds per panel must be a whole number.",
            "min_value": f"Seconds per panel must be at least {MIN_SECONDS}.",
            "max_value": f"Seconds per panel must be at most {MAX_SECONDS} (an hour).",
        },
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.choices = list(choices)
        positions = [(NOT_SHOWN, "not shown")] + [
            (str(n), f"{n}") for n in range(1, len(self.choices) + 1)
        ]
        for key, title in self.choices:
            self.fields[self.field_name(key)] = forms.ChoiceField(
                label=title, required=False, choices=positions,
                error_messages={"invalid_choice": f"{title}: choose a position from the list."},
            )  # fmt: skip

    @staticmethod
    def field_name(key: str) -> str:
        return f"position_{key}"

    @classmethod
    def initial_for(cls, panels: list[str], seconds: int) -> dict:
        initial = {"seconds": seconds}
        initial.update({cls.field_name(k): str(n) for n, k in enumerate(panels, start=1)})
        return initial

    def position_fields(self):
        return [self[self.field_name(key)] for key, _ in self.choices]

    def clean(self):
        cleaned = super().clean()
        taken: dict[str, str] = {}
        for key, title in self.choices:
            position = cleaned.get(self.field_name(key))
            if not position:
                continue
            if position in taken:
                raise forms.ValidationError(
                    f"{taken[position]} and {title} both have position {position}: "
                    "give each panel its own."
                )
            taken[position] = title
        if not taken and not self.errors:
            raise forms.ValidationError("Choose at least one panel: give it a position.")
        return cleaned

    def panels(self) -> list[str]:
        """The chosen panel keys, in their positions' order."""
        chosen = [
            (int(self.cleaned_data[self.field_name(key)]), key)
            for key, _ in self.choices
            if self.cleaned_data.get(self.field_name(key))
        ]
        return [key for _, key in sorted(chosen)]
