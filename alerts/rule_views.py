"""Pages of notification rules: list, create, a rule with its deliveries, edit, enable or
disable, delete, and "send a test notification now".

Only the people who may manage rules see them (tenancy.ALERT_RULES: admins of an
organization, NOC admins); anyone else, and anyone asking for a rule of another
organization or a fleet-wide rule without being NOC staff, gets 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from accounts import tenancy
from alerts import rule_changes, rule_selectors
from alerts.models import AlertRule, DeliveryAttempt
from alerts.rule_forms import FLEET_WIDE, RuleForm
from devices import form_keys

RULES_PAGE_SIZE = 50
DELIVERIES_PAGE_SIZE = 20


def _managed_scope(request) -> tenancy.OrgScope:
    """Where the user may manage rules (the switcher aside); 404 for someone with none, so
    the pages do not exist for them."""
    scope = tenancy.scope_for(request.user, tenancy.ALERT_RULES)
    if scope.is_empty:
        raise Http404("No such page.")
    return scope


def _template(request, name: str, part: str) -> str:
    """The page, or only its part for htmx (its pages of rows); a history restore gets the
    whole page."""
    partial = request.htmx and not request.htmx.history_restore_request
    return f"{name}#{part}" if partial else name


@vary_on_headers("HX-Request")
@tenancy.scoped_view(action=tenancy.ALERT_RULES)
def rule_list(request):
    _managed_scope(request)
    rules = rule_selectors.rules_in(request.scope)
    page = Paginator(rules, RULES_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": rule_selectors.rule_rows(rules.filter(pk__in=[r.pk for r in page])),
        "nav": "alerts",
        "title": "Notification rules",
    }
    return render(request, _template(request, "alerts/rule_list.html", "rules"), context)


def _form(request, *, scope, rule: AlertRule | None = None) -> RuleForm:
    stored = list(rule.destinations.all()) if rule else []
    if rule is None:
        active = request.active_organization
        initial = {"organization": str(active) if active is not None else ""}
    else:
        initial = {f: getattr(rule, f) for f in rule_changes.RULE_FIELDS}
        org = rule.organization_id
        initial["organization"] = FLEET_WIDE if org is None else str(org)
        initial["device_ids"] = ", ".join(str(i) for i in rule.device_ids or ())
    organizations = rule_selectors.organization_choices(
        scope, also=rule.organization_id if rule else None
    )
    return RuleForm(request.POST or None, initial=initial, organizations=organizations,
                    fleet_wide=scope.all, stored=stored)  # fmt: skip


def _render_form(request, form, *, rule=None, create_key: str = ""):
    context = {
        "form": form,
        "rule": rule,
        "create_key": create_key,
        "nav": "alerts",
        "title": f"Edit rule {rule.name}" if rule else "New notification rule",
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "alerts/rule_form.html", context, status=status)


def _name_taken(form, taken: AlertRule) -> None:
    said = rule_selectors.name_taken_in_words(taken.name, taken.organization_id)
    form.add_error("name", format_html(
        '{}: <a href="{}">rule {}</a>. Choose another name, or change that rule.',
        said, reverse("alerts:detail", args=[taken.pk]), taken.pk,
    ))  # fmt: skip


RULE_ALREADY_CREATED = (
    "This form was sent already: it created rule “{name}”, shown here. Nothing was created again."
)
RULE_BAD_KEY = (
    "This form was not sent: its page is too old to tell whether it was sent before. Check "
    "the rules list and the values, then send it again."
)


@tenancy.scoped_view(action=tenancy.ALERT_RULES)
def rule_create(request):
    form = _form(request, scope=_managed_scope(request))
    # The form's one-time key: kept while the same form may still be sent.
    posted_key = request.POST.get("create_key", "")
    key = posted_key if form_keys.well_formed(posted_key) else form_keys.new_key()
    if request.method == "POST" and form.is_valid():
        try:
            rule = rule_changes.create_rule(
                user=request.user, data=form.cleaned_data, key=posted_key
            )
        except form_keys.SentBefore as done:
            messages.info(request, RULE_ALREADY_CREATED.format(name=done.row.name))
            return redirect("alerts:detail", done.row.pk)
        except form_keys.BadKey:
            form.add_error(None, RULE_BAD_KEY)
            key = form_keys.new_key()
        except rule_changes.NameTaken as taken:
            _name_taken(form, taken.rule)
        else:
            messages.success(request, f"Rule “{rule.name}” created.")
            return redirect("alerts:detail", rule.pk)
    return _render_form(request, form, create_key=key)


@tenancy.scoped_view(action=tenancy.ALERT_RULES)
def rule_edit(request, rule_id: int):
    rule = rule_selectors.rule_for_user(request.user, rule_id)
    form = _form(request, scope=_managed_scope(request), rule=rule)
    if request.method == "POST" and form.is_valid():
        try:
            rule_changes.update_rule(user=request.user, rule=rule, data=form.cleaned_data)
        except rule_changes.NameTaken as taken:
            _name_taken(form, taken.rule)
        else:
            messages.success(request, f"Rule “{rule.name}” saved.")
            return redirect("alerts:detail", rule.pk)
    return _render_form(request, form, rule=rule)


@vary_on_headers("HX-Request")
@tenancy.scoped_view(action=tenancy.ALERT_RULES)
def rule_detail(request, rule_id: int):
    rule = rule_selectors.rule_for_user(request.user, rule_id)
    deliveries = rule_selectors.deliveries_of(rule).prefetch_related(
        Prefetch("tries", queryset=DeliveryAttempt.objects.order_by("at", "id"))
    )
    page = Paginator(deliveries, DELIVERIES_PAGE_SIZE).get_page(request.GET.get("page"))
    names = rule_selectors.organization_names({rule.organization_id})
    context = {
        "rule": rule,
        "organization": rule_selectors.organization_label(rule.organization_id, names),
        "devices": rule_selectors.devices_in_words(rule),
        "events": rule_selectors.events_in_words(rule),
        "flapping": rule_selectors.flapping_in_words(rule),
        "flapping_device": rule_selectors.FLAPPING_DEVICE,
        "profile_note": rule_selectors.profile_note(rule),
        "destinations": list(rule.destinations.all()),
        "page": page,
        "nav": "alerts",
        "title": f"Rule {rule.name}",
    }
    return render(request, _template(request, "alerts/rule_detail.html", "deliveries"), context)


@require_POST
@tenancy.scoped_view(action=tenancy.ALERT_RULES)
def rule_set_enabled(request, rule_id: int, enabled: bool):
    rule = rule_selectors.rule_for_user(request.user, rule_id)
    rule_changes.set_enabled(user=request.user, rule=rule, enabled=enabled)
    said = "enabled: it notifies again" if enabled else "disabled: it notifies nothing"
    messages.success(request, f"Rule “{rule.name}” {said}.")
    return redirect("alerts:detail", rule.pk)


@tenancy.scoped_view(action=tenancy.ALERT_RULES)
def rule_delete(request, rule_id: int):
    rule = rule_selectors.rule_for_user(request.user, rule_id)
    if request.method == "POST":
        rule_changes.delete_rule(user=request.user, rule=rule)
        messages.success(request, f"Rule “{rule.name}” deleted.")
        return redirect("alerts:list")
    context = {"rule": rule, "nav": "alerts", "title": f"Delete rule {rule.name}"}
    return render(request, "alerts/rule_delete.html", context)


@require_POST
@tenancy.scoped_view(action=tenancy.ALERT_RULES)
def rule_test(request, rule_id: int):
    rule = rule_selectors.rule_for_user(request.user, rule_id)
    count = rule_changes.send_test(user=request.user, rule=rule)
    messages.success(
        request,
        f"Test notification queued for {count} destination{'s' if count != 1 else ''}: "
        "its deliveries and their answers are listed below.",
    )
    return redirect("alerts:detail", rule.pk)
