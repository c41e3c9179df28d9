"""Pages of firmware campaigns: list, new, a campaign's live progress, its devices' CSV,
and start, pause, resume, cancel (POSTs, audited by campaigns.services).

Only people who may update firmware (tenancy.FIRMWARE: admins of an organization, NOC
admins) see campaigns, and only those of their organizations; anyone else gets 404.
"""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import tenancy
from alerts.rule_selectors import organization_choices
from campaigns import selectors, services
from campaigns.errors import CampaignError
from campaigns.forms import CampaignForm
from campaigns.models import Outcome, outcome_label
from campaigns.summary import organization_words, target_words
from campaigns.tasks import queue_start, queue_step
from campaigns.window import describe as describe_window
from common import integers
from common.one_moment import one_moment
from common.spreadsheet_cells import defused
from devices import form_keys
from devices.list_selectors import organization_names
from saved_views.selectors import views_for

PAGE_SIZE = 50
DEVICES_PAGE_SIZE = 100
STARTING = "Starting: choosing the devices…"


def _scope(request) -> tenancy.OrgScope:
    scope = tenancy.scope_for(request.user, tenancy.FIRMWARE)
    if scope.is_empty:
        raise Http404("No such page.")
    return scope


@tenancy.scoped_view(action=tenancy.FIRMWARE)
def campaign_list(request):
    _scope(request)
    campaigns = selectors.campaigns_in(request.scope)
    page = Paginator(campaigns, PAGE_SIZE).get_page(request.GET.get("page"))
    names = organization_names(c.organization_id for c in page)
    for campaign in page:
        campaign.organization_words = organization_words(campaign.organization_id, names)
    context = {"page": page, "nav": "campaigns", "title": "Firmware campaigns"}
    return render(request, "campaigns/list.html", context)


@tenancy.scoped_view(action=tenancy.FIRMWARE)
def campaign_create(request):
    scope = _scope(request)
    active = request.active_organization
    form = CampaignForm(
        request.POST or None, request.FILES or None, organizations=organization_choices(scope),
        views=[(v.pk, v.name) for v in views_for(request.user)],
        initial={"organization": active} if active is not None else None,
    )  # fmt: skip
    key = request.POST.get("create_key") if request.method == "POST" else form_keys.new_key()
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.create_campaign(user=request.user, new=form.new_campaign(),
                                                key=key)  # fmt: skip
        except form_keys.SentBefore as done:
            messages.info(request, "This form was sent already: here is the campaign it made.")
            return redirect("campaigns:detail", done.row.pk)
        except form_keys.BadKey:
            form.add_error(None, BAD_KEY)
            key = form_keys.new_key()
        except CampaignError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Campaign created as a draft: check it, then start it.")
            return redirect("campaigns:detail", campaign.pk)
    context = {
        "form": form, "create_key": key, "images": selectors.image_suggestions(scope),
        "types": selectors.type_suggestions(scope), "nav": "campaigns",
        "title": "New firmware campaign",
    }  # fmt: skip
    return render(request, "campaigns/form.html", context, status=400 if form.errors else 200)


@tenancy.scoped_view(action=tenancy.FIRMWARE)
def campaign_detail(request, campaign_id: int):
    # The engine commits each device's step: the waves, counts and rows read one moment.
    with one_moment():
        return _campaign_page(request, campaign_id)


def _campaign_page(request, campaign_id: int):
    campaign = selectors.campaign_for(request.user, campaign_id)
    outcome = request.GET.get("outcome", "")
    wave = integers.int_or_none(request.GET.get("wave", ""), minimum=1, maximum=1000)
    devices = selectors.devices_of(campaign, outcome, wave)
    page = Paginator(devices, DEVICES_PAGE_SIZE).get_page(request.GET.get("page"))
    for row in page:
        row.outcome_words = outcome_label(campaign.state, row.outcome)
    context = {
        "campaign": campaign,
        "target": target_words(campaign),
        "outside": _serials_outside(campaign),
        "window": describe_window(campaign),
        "waves": selectors.progress(campaign),
        "counts": selectors.outcome_counts(campaign),
        "outcome": outcome if outcome in Outcome.values else "",
        "outcomes": [(o.value, outcome_label(campaign.state, o.value)) for o in Outcome],
        "wave": wave,
        "page": page,
        "decisions": campaign.decisions.all(),
        "starting": STARTING,
        "nav": "campaigns",
        "title": f"Firmware campaign {campaign.pk}",
    }
    partial = request.htmx and not request.htmx.history_restore_request
    template = "campaigns/detail.html#progress" if partial else "campaigns/detail.html"
    return render(request, template, context)


BAD_KEY = (
    "This form could not be checked for sending twice: look at the campaigns list, then send "
    "it again if it is not there."
)
SERIALS_NAMED = 20


def _serials_outside(campaign) -> dict | None:
    """A draft's serial numbers not in its target now, for the page: the first
    SERIALS_NAMED of them, how many more; None when there is nothing to say."""
    if campaign.state != "draft" or not campaign.serials:
        return None
    outside = selectors.serials_outside_target(campaign)
    if outside == []:
        return None
    if outside is None:
        return {"unknown": True}
    return {"named": outside[:SERIALS_NAMED], "more": len(outside) - SERIALS_NAMED,
            "count": len(outside), "of": len(set(campaign.serials))}  # fmt: skip


CHANGES = {
    # A worker chooses the devices: reading them from the control API may take minutes.
    "start": lambda **given: services.ask_to_start(queue=queue_start, **given),
    "pause": services.pause_campaign,
    "resume": lambda **given: services.resume_campaign(enqueue=queue_step, **given),
    "cancel": services.cancel_campaign,
}


@require_POST
@tenancy.scoped_view(action=tenancy.FIRMWARE)
def campaign_change(request, campaign_id: int, change: str):
    campaign = selectors.campaign_for(request.user, campaign_id)
    try:
        CHANGES[change](campaign=campaign, user=request.user)
    except CampaignError as error:
        messages.error(request, str(error))
    else:
        campaign.refresh_from_db()
        state = STARTING if campaign.starting else f"{campaign.get_state_display()}."
        messages.success(request, f"Campaign {campaign.pk}: {state}")
    return redirect("campaigns:detail", campaign.pk)


@require_POST
@tenancy.scoped_view(action=tenancy.FIRMWARE)
def campaign_rollback(request, campaign_id: int):
    """A draft campaign of the previous image for the devices this one reached."""
    campaign = selectors.campaign_for(request.user, campaign_id)
    image = integers.int_or_none(request.POST.get("image", ""), minimum=1, maximum=integers.ID_MAX)
    if image is None:
        messages.error(request, "Type the previous image's id: a whole number, e.g. 63.")
        return redirect("campaigns:detail", campaign.pk)
    try:
        rollback = services.rollback_campaign(campaign=campaign, user=request.user, image_id=image)
    except CampaignError as error:
        messages.error(request, str(error))
        return redirect("campaigns:detail", campaign.pk)
    messages.success(request, "Roll back prepared as a draft: check it, then start it.")
    return redirect("campaigns:detail", rollback.pk)


class _Echo:
    def write(self, value):
        return value


def _cell(value) -> str:
    return defused("" if value is None else str(value))


CSV_COLUMNS = [
    "device_id", "device_name", "serial_number", "organization_id", "wave", "outcome",
    "message", "version_before", "version_after", "sent_at", "confirmed_at", "down_at",
    "attempts",
]  # fmt: skip


@tenancy.scoped_view(action=tenancy.FIRMWARE)
def campaign_csv(request, campaign_id: int):
    campaign = selectors.campaign_for(request.user, campaign_id)
    wave = integers.int_or_none(request.GET.get("wave", ""), minimum=1, maximum=1000)
    devices = selectors.devices_of(campaign, request.GET.get("outcome", ""), wave)

    def rows():
        writer = csv.writer(_Echo())
        yield writer.writerow(CSV_COLUMNS)
        for row in devices.iterator(chunk_size=500):
            yield writer.writerow([
                row.device_id, _cell(row.device_name), _cell(row.serial_number),
                row.organization_id, row.wave, row.outcome, _cell(row.message),
                _cell(row.version_before), _cell(row.version_after),
                row.sent_at.isoformat() if row.sent_at else "",
                row.confirmed_at.isoformat() if row.confirmed_at else "",
                row.down_at.isoformat() if row.down_at else "", row.attempts,
            ])  # fmt: skip

    response = StreamingHttpResponse(rows(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="campaign-{campaign.pk}.csv"'
    return response
