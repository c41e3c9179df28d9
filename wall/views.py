"""The wall screen, its self-refreshing fragments (a panel, the corner) and its chooser."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts import tenancy
from devices.views import REFRESH_SECONDS
from wall import choices, panels
from wall.forms import WallSettingsForm
from wall.status import wall_status


def _panel_context(request, kind: panels.Panel) -> dict:
    return {"kind": kind, "refresh_seconds": REFRESH_SECONDS,
            **panels.read_panel(kind, request)}  # fmt: skip


@require_GET
@tenancy.scoped_view()
def wall(request):
    """Full screen, no navigation: the chosen panels, one at a time (static/js/wall.js
    rotates them; without scripts they stand one under the other)."""
    choice = choices.choice_for(request.user)
    shown = [_panel_context(request, panel) for panel in choice.panels]
    context = {"panels": shown, "seconds": choice.seconds, "status": wall_status(),
               "refresh_seconds": REFRESH_SECONDS}  # fmt: skip
    return render(request, "wall/wall.html", context)


@require_GET
@tenancy.scoped_view()
def panel(request, key: str):
    """One panel's fragment, as its refresh asks for it."""
    kind = panels.offered(request.user).get(key)
    if kind is None:
        raise Http404("No such panel.")
    return render(request, "wall/panel.html", {"panel": _panel_context(request, kind)})


@require_GET
@tenancy.scoped_view()
def status(request):
    """The corner's fragment: the data's age and the alarm, as its refresh asks for it."""
    context = {"status": wall_status(), "refresh_seconds": REFRESH_SECONDS}
    return render(request, "wall/status.html", context)


@require_http_methods(["GET", "POST"])
@tenancy.scoped_view()
def wall_settings(request):
    """Choose the panels, their order and the seconds each stays. ASSUMPTION: a wall's
    own account (the display role) may save this: its own screen, no organization's data."""
    offered = panels.offered(request.user)
    choice = choices.choice_for(request.user, offered)
    names = [(panel.key, panel.title) for panel in offered.values()]
    if request.method == "POST":
        form = WallSettingsForm(request.POST, choices=names)
        if form.is_valid():
            choices.save_choice(
                user=request.user, chosen=form.panels(), seconds=form.cleaned_data["seconds"]
            )
            return redirect("wall:wall")
    else:
        keys = [panel.key for panel in choice.panels]
        initial = WallSettingsForm.initial_for(keys, choice.seconds)
        form = WallSettingsForm(initial=initial, choices=names)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "title": "Wall screen", "nav": "wall"}
    return render(request, "wall/settings.html", context, status=status)
