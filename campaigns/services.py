"""A campaign's life as people drive it: create, start, pause, resume, cancel.

Keyword-only; errors are `CampaignError` with the reason in words. `user` None is the
command line, which acts for every organization (as alert_rule's). A person may create and
drive campaigns only in organizations where their role holds the `firmware` action;
elsewhere the campaign does not exist for them (Http404, from accounts.tenancy).
Every change is audited here, by the person or "(command line)".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from accounts import audit, tenancy
from campaigns import planning
from campaigns.decisions import decide
from campaigns.errors import CampaignError
from campaigns.models import Campaign, Outcome
from campaigns.waves import WaveError, format_waves, parse_waves
from campaigns.window import zone
from campaigns.words import counted, either
from common import integers, moments
from devices import form_keys
from saved_views.models import SavedView
from saved_views.selectors import view_for

__all__ = ["CampaignError", "NewCampaign"]

log = logging.getLogger(__name__)

# As many as a campaign updates: a roll back names every device its campaign reached.
MAX_SERIALS = planning.MAX_DEVICES
SAME_HOUR = "The window ends at the hour it starts: leave both hours empty to send at any hour."


@dataclass
class NewCampaign:
    organization_id: int
    image_id: int
    type_id: int | None = None
    serials: tuple[str, ...] = ()
    saved_view_id: int | None = None
    name: str = ""
    canary: int = 1
    waves: str = "10%,50%,100%"
    soak_minutes: float = 10
    confirm_timeout_minutes: float = 30
    max_failed_percent: float = 10
    max_down_percent: float = 10
    down_retries: int = 3
    retry_minutes: float = 5
    not_before: datetime | None = None
    hours_from: int | None = None
    hours_to: int | None = None
    time_zone: str = "UTC"


def who(user) -> str:
    return user.get_username() if getattr(user, "is_authenticated", False) else audit.COMMAND_LINE


def ensure_may_run(user, organization_id: int | None) -> None:
    """Http404 unless the user (None: the command line) may run campaigns there."""
    if user is not None:
        tenancy.ensure_allowed(user, tenancy.FIRMWARE, organization_id)


def _audit(
    user, action: str, campaign: Campaign, result=audit.OK, message: str = "", **parameters
) -> None:
    audit.record_action(
        user=user, action=action, result=result, organization_id=campaign.organization_id,
        parameters={"campaign": campaign.pk, "firmware_image": campaign.image_id, **parameters},
        error_message=message, username=audit.COMMAND_LINE,
    )  # fmt: skip


@contextmanager
def _refusal_audited(user, action: str, campaign: Campaign) -> Iterator[None]:
    """A change refused in words (its state, the control API) is audited as failed with the
    reason; used outside the change's transaction, so the entry outlives its rollback."""
    try:
        yield
    except CampaignError as error:
        _audit(user, action, campaign, result=audit.FAILED, message=str(error))
        raise


def create_campaign(*, user, new: NewCampaign, key: str | None = None) -> Campaign:
    """A draft. At most one per form `key`: a key sent before raises form_keys.SentBefore
    (its campaign) or BadKey (not well formed, or another person's), and creates nothing;
    `key` None: no form (the command line)."""
    ensure_may_run(user, new.organization_id)
    form_keys.require(key)
    for name in ("organization_id", "image_id", "type_id"):
        value = getattr(new, name)
        if value is None and name == "type_id":
            continue
        if not isinstance(value, int) or not 1 <= value <= integers.ID_MAX:
            raise CampaignError(
                f"The {name.replace('_id', '')} id is a whole number from 1 to {integers.ID_MAX}."
            )
    try:
        waves = parse_waves(new.waves)
    except WaveError as error:
        raise CampaignError(str(error)) from None
    if not 1 <= new.canary <= planning.MAX_DEVICES:
        raise CampaignError(f"The canary is 1 to {planning.MAX_DEVICES} devices.")
    for label, minutes in (
        ("soak time", new.soak_minutes), ("confirmation timeout", new.confirm_timeout_minutes),
        ("retry interval", new.retry_minutes),
    ):  # fmt: skip
        if not 0 <= minutes <= 7 * 24 * 60:
            raise CampaignError(f"The {label} is 0 to {7 * 24 * 60} minutes.")
    if new.confirm_timeout_minutes <= 0:
        raise CampaignError("The confirmation timeout is more than 0 minutes.")
    for label, percent in (("failed", new.max_failed_percent), ("Down", new.max_down_percent)):
        if not 0 <= percent <= 100:
            raise CampaignError(f"The most {label} devices allowed is 0 to 100 %.")
    if not 0 <= new.down_retries <= 100:
        raise CampaignError("A device Down at its turn is tried again 0 to 100 times.")
    if (new.hours_from is None) != (new.hours_to is None) or any(
        h is not None and not 0 <= h <= 23 for h in (new.hours_from, new.hours_to)
    ):
        raise CampaignError("Give both hours of the window, each 0 to 23 (or neither).")
    if new.hours_from is not None and new.hours_from == new.hours_to:
        raise CampaignError(SAME_HOUR)
    if new.not_before is not None and not moments.within(new.not_before):
        raise CampaignError(f"Start no earlier than a date and time {moments.BOUNDS_WORDS}.")
    if zone(new.time_zone) is None:
        raise CampaignError(f"Unknown time zone “{new.time_zone[:64]}”: e.g. America/Bogota.")
    serials = list(dict.fromkeys(s.strip() for s in new.serials if s and s.strip()))
    if any("\x00" in s for s in serials):  # PostgreSQL's JSON refuses it (a binary file)
        raise CampaignError("The serial numbers are not text: one holds a NUL character.")
    if len(serials) > MAX_SERIALS:
        raise CampaignError(f"At most {MAX_SERIALS} serial numbers.")
    view = _saved_view(user, new.saved_view_id)
    once = form_keys.creating_once(
        Campaign, field="create_key", key=key, user=user, owner="created_by_id"
    )
    with once, transaction.atomic():
        campaign = Campaign.objects.create(
            name=new.name.strip()[:200], organization_id=new.organization_id,
            type_id=new.type_id, serials=serials, saved_view=view,
            saved_view_name=view.name if view else "", image_id=new.image_id, canary=new.canary,
            waves=waves, soak_seconds=round(new.soak_minutes * 60),
            confirm_timeout_seconds=max(1, round(new.confirm_timeout_minutes * 60)),
            max_failed_percent=new.max_failed_percent, max_down_percent=new.max_down_percent,
            down_retries=new.down_retries, retry_seconds=round(new.retry_minutes * 60),
            not_before=new.not_before, hours_from=new.hours_from, hours_to=new.hours_to,
            time_zone=new.time_zone, create_key=key,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )  # fmt: skip
        decide(campaign, f"created by {who(user)}: waves {format_waves(waves)} after a "
               f"canary of {new.canary}", by=who(user), notify=False)  # fmt: skip
        _audit(user, "campaign_create", campaign, type=new.type_id, serials=len(serials))
    return campaign


def _saved_view(user, view_id: int | None) -> SavedView | None:
    """The view narrowing a campaign: one the person may open (404 otherwise, as everywhere);
    the command line may name any."""
    if view_id is None:
        return None
    if user is not None:
        return view_for(user, view_id)
    view = SavedView.objects.filter(pk=view_id).first()
    if view is None:
        raise CampaignError(f"There is no saved view {view_id}.")
    return view


def start_campaign(
    *, campaign: Campaign, user, enqueue: Callable[[int], None] | None = None
) -> Campaign:
    """Plan the devices (read from the control API now) and start the first wave: the
    command line, and a worker for the page's Start (`ask_to_start`)."""
    ensure_may_run(user, campaign.organization_id)
    with _refusal_audited(user, "campaign_start", campaign):
        return _start(campaign, user, enqueue)


def _only_a_draft(campaign: Campaign) -> str:
    return f"Only a draft starts; this campaign is {campaign.get_state_display().lower()}."


def _start(campaign: Campaign, user, enqueue: Callable[[int], None] | None) -> Campaign:
    if campaign.state != Campaign.State.DRAFT:
        raise CampaignError(_only_a_draft(campaign))
    plan = planning.plan_devices(campaign)  # CampaignError in words when it cannot
    now = timezone.now()
    with transaction.atomic():
        if not Campaign.objects.filter(pk=campaign.pk, state=Campaign.State.DRAFT).update(
            state=Campaign.State.RUNNING, started_at=now, wave_sizes=plan.sizes, stop_reason=""
        ):
            campaign.refresh_from_db()  # started, or cancelled, while its devices were read
            raise CampaignError(_only_a_draft(campaign))
        planning.write_plan(campaign, plan, now=now)
        campaign.refresh_from_db()
        decide(campaign, f"started by {who(user)}: {counted(plan.total, 'device')} in "
               f"{counted(len(plan.sizes), 'wave')} ({', '.join(map(str, plan.sizes))})"
               + (f"; {plan.left_out}" if plan.left_out else ""), by=who(user))  # fmt: skip
        _audit(user, "campaign_start", campaign, devices=plan.total)
        if enqueue is not None:
            transaction.on_commit(lambda: enqueue(campaign.pk))
    return campaign


NOT_QUEUED = (
    "The start could not be handed to a worker: the task queue (Redis) did not answer. "
    "Nothing was started; try again in a moment."
)
STARTING_ALREADY = "It is starting already: a worker is choosing its devices."
UNEXPECTED = (
    "Something unexpected stopped the choice of its devices: nothing was started. Start it "
    "again; if that fails too, tell the dashboard's administrators."
)


def ask_to_start(*, campaign: Campaign, user, queue: Callable[[int, int], None]) -> Campaign:
    """The page's Start: a worker chooses the devices (`start_asked`), since reading them
    from the control API may take minutes and a page never waits on it. Until then the
    draft is starting (`Campaign.starting`). `queue(campaign id, user id)` hands the task
    to the broker and raises when it does not take it."""
    ensure_may_run(user, campaign.organization_id)
    with _refusal_audited(user, "campaign_start", campaign):
        if not Campaign.objects.filter(
            pk=campaign.pk, state=Campaign.State.DRAFT, started_at__isnull=True
        ).update(started_at=timezone.now()):
            campaign.refresh_from_db()
            raise CampaignError(STARTING_ALREADY if campaign.starting else _only_a_draft(campaign))
        try:
            queue(campaign.pk, user.pk)
        except Exception as refused:  # noqa: BLE001 -- any broker failure is said in words
            log.warning("campaign %s: start not queued: %s", campaign.pk, refused)
            Campaign.objects.filter(pk=campaign.pk, state=Campaign.State.DRAFT).update(
                started_at=None
            )
            raise CampaignError(NOT_QUEUED) from None
    campaign.refresh_from_db()
    return campaign


def start_asked(campaign_id: int, user_id: int, *, enqueue: Callable[[int], None]) -> str:
    """A worker's half of the page's Start: the devices chosen and the campaign started by
    the person who pressed it (audited and decided as `start_campaign`), or the draft put
    back with the reason on its page. What happened, in a few words."""
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None or not campaign.starting:
        return "not starting"  # delivered again after it started, or cancelled meanwhile
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return _put_back(campaign, "", "Its starter's account is gone: nothing was started.")
    try:
        start_campaign(campaign=campaign, user=user, enqueue=enqueue)
    except CampaignError as error:  # already audited with its reason
        return _put_back(campaign, who(user), str(error))
    except Http404:  # the starter's role changed meanwhile
        reason = "Its starter may no longer update firmware here: nothing was started."
    except Exception:  # noqa: BLE001 -- the draft must not stay "starting" for ever
        log.exception("campaign %s: start failed", campaign_id)
        reason = UNEXPECTED
    else:
        return "started"
    _audit(user, "campaign_start", campaign, result=audit.FAILED, message=reason)
    return _put_back(campaign, who(user), reason)


def _put_back(campaign: Campaign, by: str, reason: str) -> str:
    """A draft whose start failed is a draft again, the reason on its page and timeline
    (nothing when it is no longer a draft: started or cancelled meanwhile)."""
    if Campaign.objects.filter(pk=campaign.pk, state=Campaign.State.DRAFT).update(
        started_at=None, stop_reason=reason[:500]
    ):
        decide(campaign, f"not started: {reason}", by=by, notify=False)
    return reason


DONE_WORDS = {
    "campaign_pause": "paused",
    "campaign_resume": "resumed",
    "campaign_cancel": "cancelled",
}


def _change(campaign, user, *, allowed, to, action, text, **fields) -> Campaign:
    ensure_may_run(user, campaign.organization_id)
    with _refusal_audited(user, action, campaign), transaction.atomic():
        if not Campaign.objects.filter(pk=campaign.pk, state__in=allowed).update(
            state=to, **fields
        ):
            campaign.refresh_from_db()
            states = either([Campaign.State(a).label.lower() for a in allowed])
            raise CampaignError(
                f"Only a campaign that is {states} can be {DONE_WORDS[action]}; this one is "
                f"{campaign.get_state_display().lower()}."
            )
        campaign.refresh_from_db()
        decide(campaign, text, by=who(user))
        _audit(user, action, campaign)
    return campaign


def pause_campaign(*, campaign: Campaign, user) -> Campaign:
    """Nothing more is sent from now on; devices already sent are followed to their outcome."""
    return _change(
        campaign, user, allowed=[Campaign.State.RUNNING], to=Campaign.State.PAUSED,
        action="campaign_pause", text=f"paused by {who(user)}",
    )  # fmt: skip


def resume_campaign(
    *, campaign: Campaign, user, enqueue: Callable[[int], None] | None = None
) -> Campaign:
    """A paused campaign goes on; a stopped one goes on with its current wave's stop
    overridden (the later waves' rules still apply)."""
    stopped = campaign.state == Campaign.State.STOPPED
    text = f"resumed by {who(user)}" + (
        f": the stop of wave {campaign.wave} overridden" if stopped else ""
    )
    fields = {"overridden_wave": campaign.wave, "ended_at": None} if stopped else {}
    campaign = _change(
        campaign, user, allowed=[Campaign.State.PAUSED, Campaign.State.STOPPED],
        to=Campaign.State.RUNNING, action="campaign_resume", text=text, **fields,
    )  # fmt: skip
    if enqueue is not None:
        transaction.on_commit(lambda: enqueue(campaign.pk))
    return campaign


def cancel_campaign(*, campaign: Campaign, user) -> Campaign:
    """Nothing more is sent, for good; devices not yet sent stay as they are."""
    return _change(
        campaign, user,
        allowed=[Campaign.State.DRAFT, Campaign.State.RUNNING, Campaign.State.PAUSED,
                 Campaign.State.STOPPED],
        to=Campaign.State.CANCELLED, action="campaign_cancel",
        text=f"cancelled by {who(user)}", ended_at=timezone.now(),
    )  # fmt: skip


# The devices a campaign changed (or may have): the ones a rollback takes back.
REACHED = [Outcome.SENT, Outcome.CONFIRMED, Outcome.DOWN, Outcome.UNCONFIRMED, Outcome.UNKNOWN]


def rollback_campaign(*, campaign: Campaign, user, image_id: int) -> Campaign:
    """A draft campaign of `image_id` (the previous image) for the devices this one reached,
    by their serial numbers, with the same waves and rules; started like any other."""
    ensure_may_run(user, campaign.organization_id)
    with _refusal_audited(user, "campaign_rollback", campaign):
        return _roll_back(campaign, user, image_id)


def _roll_back(campaign: Campaign, user, image_id: int) -> Campaign:
    if campaign.state == Campaign.State.RUNNING:
        raise CampaignError("Pause or cancel the campaign before rolling it back.")
    serials = tuple(
        campaign.devices.filter(outcome__in=REACHED)
        .exclude(serial_number="")
        .values_list("serial_number", flat=True)
    )
    if not serials:
        raise CampaignError("This campaign reached no device: there is nothing to roll back.")
    if image_id == campaign.image_id:
        raise CampaignError("A rollback installs the previous image, not this campaign's.")
    new = NewCampaign(
        organization_id=campaign.organization_id, type_id=campaign.type_id, image_id=image_id,
        serials=serials, name=f"Roll back of campaign {campaign.pk}", canary=campaign.canary,
        waves=format_waves(campaign.waves), soak_minutes=campaign.soak_seconds / 60,
        confirm_timeout_minutes=campaign.confirm_timeout_seconds / 60,
        max_failed_percent=campaign.max_failed_percent,
        max_down_percent=campaign.max_down_percent, down_retries=campaign.down_retries,
        retry_minutes=campaign.retry_seconds / 60, time_zone=campaign.time_zone,
    )  # fmt: skip
    with transaction.atomic():
        rollback = create_campaign(user=user, new=new)
        decide(campaign, f"roll back to image {image_id} prepared by {who(user)}: campaign "
               f"{rollback.pk} (a draft) for the {counted(len(serials), 'device')} reached",
               by=who(user), notify=False)  # fmt: skip
    return rollback
