"""Notification rules through the Django client: who may list, create, edit, disable,
delete and test them, and that a destination's secret never reaches a page or the audit."""

import json
import re
from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from accounts.models import AuditEntry
from alerts import delivery, services
from alerts.models import AlertRule, Delivery, DeliveryAttempt, Destination
from tests.alerts.conftest import MAIL_SECRET, MAIL_URL, SECRET, SECRET_URL, rule_data
from tests.fixtures.users import ORG_A, ORG_OTHER

pytestmark = pytest.mark.django_db


def html(response) -> str:
    return response.content.decode()


# --- creating --------------------------------------------------------------------------


def test_a_tenant_admin_creates_a_rule_of_their_organization(client_of, tenant_admin):
    client = client_of(tenant_admin)
    response = client.post("/alerts/new/", rule_data())
    rule = AlertRule.objects.get()
    assert response.status_code == 302
    assert response.url == f"/alerts/{rule.pk}/"
    assert (rule.organization_id, rule.pattern, rule.events) == (ORG_A, "CPE-*", ["down", "up"])
    assert rule.created_by == tenant_admin and rule.enabled and rule.send_recovery
    assert [d.url for d in rule.destinations.all()] == [SECRET_URL]
    page = html(client.get(response.url))
    assert "json://receiver.example:8080/…" in page
    assert SECRET not in page


def test_noc_creates_a_fleet_wide_rule(client_of, noc):
    client = client_of(noc)
    response = client.post("/alerts/new/", rule_data(organization="fleet", pattern=""))
    assert response.status_code == 302
    rule = AlertRule.objects.get()
    assert rule.organization_id is None
    listing = html(client.get("/alerts/"))
    assert "Every organization (fleet-wide)" in listing
    assert "every device" in listing
    assert SECRET not in listing


def test_a_tenant_admin_is_not_offered_and_cannot_create_a_rule_of_another_organization(
    client_of, tenant_admin
):
    client = client_of(tenant_admin)
    form = html(client.get("/alerts/new/"))
    assert f'value="{ORG_OTHER}"' not in form
    assert 'value="fleet"' not in form
    response = client.post("/alerts/new/", rule_data(organization=str(ORG_OTHER)))
    assert response.status_code == 400
    assert "you may only make rules for those" in html(response)
    assert not AlertRule.objects.exists()


def test_a_tenant_admin_cannot_create_a_fleet_wide_rule(client_of, tenant_admin):
    response = client_of(tenant_admin).post("/alerts/new/", rule_data(organization="fleet"))
    assert response.status_code == 400
    assert not AlertRule.objects.exists()


def test_a_form_with_an_error_keeps_what_was_typed_and_says_why(client_of, tenant_admin):
    response = client_of(tenant_admin).post(
        "/alerts/new/",
        rule_data(events=[], name="Warehouse", pattern="WH-??", device_ids="12, 13",
                  delay_seconds="300"),
    )  # fmt: skip
    page = html(response)
    assert response.status_code == 400
    assert "Choose at least one event to notify." in page
    assert 'value="Warehouse"' in page
    assert 'value="WH-??"' in page
    assert 'value="12, 13"' in page
    assert 'value="300"' in page
    # What the person typed comes back to them, so that they need not type it again.
    assert SECRET_URL in page
    assert not AlertRule.objects.exists()


def test_a_destination_apprise_does_not_know_is_refused_in_words(client_of, tenant_admin):
    typed = f"{SECRET_URL}\nmsteams://only/{SECRET}-part"
    response = client_of(tenant_admin).post("/alerts/new/", rule_data(destinations=typed))
    assert response.status_code == 400
    assert "Line 2 (msteams://…): apprise does not accept this msteams:// URL" in html(response)
    assert not AlertRule.objects.exists()


def test_a_rule_without_a_destination_is_refused(client_of, tenant_admin):
    response = client_of(tenant_admin).post("/alerts/new/", rule_data(destinations="\n  \n"))
    assert response.status_code == 400
    assert "Give at least one destination" in html(response)


def test_bad_numbers_are_refused_in_words(client_of, tenant_admin):
    response = client_of(tenant_admin).post(
        "/alerts/new/", rule_data(delay_seconds="-5", device_ids="12, abc", type_id="9" * 30)
    )
    page = html(response)
    assert response.status_code == 400
    assert "Delay in seconds is a whole number from 0 to 86400." in page
    assert "“abc” is not a device id (a whole number)." in page
    assert "That device type id is too large." in page


# --- editing ---------------------------------------------------------------------------


def test_the_edit_form_shows_stored_destinations_masked_only(client_of, tenant_admin, make_rule):
    rule = make_rule(urls=[SECRET_URL, MAIL_URL])
    page = html(client_of(tenant_admin).get(f"/alerts/{rule.pk}/edit/"))
    assert "json://receiver.example:8080/…" in page
    assert "mailto://…@smtp.example.com/…" in page
    assert SECRET not in page and MAIL_SECRET not in page
    assert "Remove destinations" in page


def test_an_edit_removes_ticked_destinations_adds_new_ones_and_keeps_the_rest(
    client_of, tenant_admin, make_rule
):
    rule = make_rule(urls=[SECRET_URL, MAIL_URL])
    mail = rule.destinations.get(url=MAIL_URL)
    response = client_of(tenant_admin).post(
        f"/alerts/{rule.pk}/edit/",
        rule_data(name="Renamed", remove_destinations=[str(mail.pk)],
                  destinations="json://127.0.0.1:9999/new"),
    )  # fmt: skip
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.name == "Renamed"
    assert sorted(d.url for d in rule.destinations.all()) == sorted(
        [SECRET_URL, "json://127.0.0.1:9999/new"]
    )


def test_an_edit_that_adds_a_destination_the_rule_has_keeps_it_once(
    client_of, tenant_admin, make_rule
):
    rule = make_rule(urls=[SECRET_URL])
    response = client_of(tenant_admin).post(
        f"/alerts/{rule.pk}/edit/", rule_data(destinations=f"{SECRET_URL}\n{MAIL_URL}\n")
    )
    assert response.status_code == 302
    # Twice would send every notification twice to the same place.
    assert sorted(d.url for d in rule.destinations.all()) == sorted([SECRET_URL, MAIL_URL])


def test_an_edit_that_removes_every_destination_is_refused_and_never_echoes_a_secret(
    client_of, tenant_admin, make_rule
):
    rule = make_rule(urls=[SECRET_URL])
    only = rule.destinations.get()
    response = client_of(tenant_admin).post(
        f"/alerts/{rule.pk}/edit/",
        rule_data(name="Typed name", remove_destinations=[str(only.pk)], destinations=""),
    )
    page = html(response)
    assert response.status_code == 400
    assert "Give at least one destination" in page
    assert 'value="Typed name"' in page
    assert SECRET not in page
    assert rule.destinations.count() == 1


def test_removing_a_destination_gives_up_its_waiting_retry_at_once(
    client_of, tenant_admin, make_rule
):
    """Before, the removed destination's failed test still read "Failed, will retry next
    try …" until that retry came, and only then "Not sent: … deleted since"."""
    hook = "json://127.0.0.1:9/hook"  # nothing listens there: the try fails
    rule = make_rule(urls=[MAIL_URL, hook])
    for made in services.send_test_notification(rule, None):
        delivery.send_one(made.pk)
    failing = Delivery.objects.get(destination__url=hook)
    assert failing.state == Delivery.State.RETRYING
    client = client_of(tenant_admin)
    assert "next try" in html(client.get(f"/alerts/{rule.pk}/"))

    removed = rule_data(remove_destinations=[str(failing.destination_id)], destinations="")
    response = client.post(f"/alerts/{rule.pk}/edit/", removed, follow=True)

    page = html(response)
    assert "Rule “Core routers down” saved." in page
    assert "Failed, will retry" not in page and "next try" not in page
    assert "Failed, gave up" in page and delivery.NOT_SENT_REMOVED in page
    # The worker does not try it again, however late it looks.
    later = timezone.now() + timedelta(days=1)
    assert failing.pk not in delivery.due_deliveries(now=later)
    assert delivery.send_one(failing.pk, now=later) is None


def test_a_tenant_admin_cannot_move_a_rule_to_another_organization(
    client_of, tenant_admin, make_rule
):
    rule = make_rule()
    response = client_of(tenant_admin).post(
        f"/alerts/{rule.pk}/edit/", rule_data(organization=str(ORG_OTHER))
    )
    assert response.status_code == 400
    rule.refresh_from_db()
    assert rule.organization_id == ORG_A


# --- disable, enable, delete -----------------------------------------------------------


def test_disabling_and_enabling_a_rule_are_posts_and_audited(client_of, noc, make_rule):
    rule = make_rule()
    client = client_of(noc)
    assert client.get(f"/alerts/{rule.pk}/disable/").status_code == 405
    assert client.post(f"/alerts/{rule.pk}/disable/").status_code == 302
    rule.refresh_from_db()
    assert not rule.enabled
    assert "Disabled" in html(client.get(f"/alerts/{rule.pk}/"))
    client.post(f"/alerts/{rule.pk}/enable/")
    rule.refresh_from_db()
    assert rule.enabled
    actions = list(AuditEntry.objects.order_by("id").values_list("action", "organization_id"))
    assert actions == [("alert_rule_disable", ORG_A), ("alert_rule_enable", ORG_A)]


def test_deleting_a_rule_asks_first_and_is_audited(client_of, tenant_admin, make_rule):
    rule = make_rule()
    client = client_of(tenant_admin)
    assert "Delete rule" in html(client.get(f"/alerts/{rule.pk}/delete/"))
    assert AlertRule.objects.filter(pk=rule.pk).exists()
    response = client.post(f"/alerts/{rule.pk}/delete/")
    assert response.status_code == 302 and response.url == "/alerts/"
    assert not AlertRule.objects.filter(pk=rule.pk).exists()
    entry = AuditEntry.objects.get()
    assert entry.action == "alert_rule_delete"
    assert entry.parameters["destinations"] == ["json://receiver.example:8080/…"]


# --- the test button -------------------------------------------------------------------


def test_the_test_button_makes_one_delivery_per_destination_and_queues_each(
    client_of, noc, make_rule, on_the_broker, django_capture_on_commit_callbacks
):
    rule = make_rule(urls=[SECRET_URL, MAIL_URL])
    client = client_of(noc)
    assert client.get(f"/alerts/{rule.pk}/test/").status_code == 405
    # The test's transaction never commits: its on-commit callbacks (the queuing) run here.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/alerts/{rule.pk}/test/", follow=True)
    deliveries = Delivery.objects.filter(rule=rule, event="test")
    assert deliveries.count() == 2
    assert {d.destination.url for d in deliveries} == {SECRET_URL, MAIL_URL}
    assert {d.state for d in deliveries} == {"pending"}
    page = html(response)
    assert "Test notification queued for 2 destinations" in page
    assert page.count("Waiting to be sent") == 2
    assert page.count("<td>Test notification</td>") == 2  # the event in words, not "test"
    # Queued on the (real, throwaway) broker for the sender: one message per delivery.
    queued = redis.Redis.from_url(on_the_broker.url).lrange("celery", 0, -1)
    messages = [json.loads(m) for m in queued]
    assert sorted(m["headers"]["task"] for m in messages) == ["alerts.send_delivery"] * 2
    sent_ids = sorted(eval(m["headers"]["argsrepr"])[0] for m in messages)  # noqa: S307
    assert sent_ids == sorted(d.pk for d in deliveries)
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.parameters["destinations"]) == ("alert_rule_test", 2)


def test_a_tenant_admin_may_test_their_rule(client_of, tenant_admin, make_rule, on_the_broker):
    rule = make_rule()
    assert client_of(tenant_admin).post(f"/alerts/{rule.pk}/test/").status_code == 302
    assert Delivery.objects.filter(rule=rule, event="test").count() == 1


# --- the rule's page -------------------------------------------------------------------


def test_the_rule_page_shows_each_delivery_with_every_attempt_and_answer(
    client_of, tenant_admin, make_rule
):
    rule = make_rule()
    destination = rule.destinations.get()
    delivery = Delivery.objects.create(
        key="k1", rule=rule, destination=destination, event="down", subject="CPE-7 went Down",
        state=Delivery.State.SENT, attempts=2,
    )  # fmt: skip
    DeliveryAttempt.objects.create(delivery=delivery, ok=False, answer="HTTP 503 from receiver")
    DeliveryAttempt.objects.create(delivery=delivery, ok=True, answer="HTTP 200")
    page = html(client_of(tenant_admin).get(f"/alerts/{rule.pk}/"))
    assert "CPE-7 went Down" in page
    assert "HTTP 503 from receiver" in page and "HTTP 200" in page
    assert page.index("HTTP 503 from receiver") < page.index("HTTP 200")
    assert SECRET not in page


def test_a_delivery_sent_on_another_day_is_shown_with_its_day(client_of, tenant_admin, make_rule):
    """Before, "sent 03:04:05" read as today's whatever the day it was sent."""
    rule = make_rule()
    today = timezone.localtime()
    days_ago = today - timedelta(days=3)
    for key, when in (("old", days_ago), ("new", today)):
        Delivery.objects.create(
            key=key, rule=rule, destination=rule.destinations.get(), event="down",
            subject=f"CPE {key} went Down", state=Delivery.State.SENT, created_at=when,
            sent_at=when,
        )  # fmt: skip
    page = html(client_of(tenant_admin).get(f"/alerts/{rule.pk}/"))
    assert f"{days_ago:%b} {days_ago.day} {days_ago:%H:%M:%S}</span>" in page
    assert f'<span class="muted">{today:%H:%M:%S}</span>' in page


def test_deliveries_are_paginated_and_a_page_comes_alone_to_htmx(
    client_of, tenant_admin, make_rule
):
    rule = make_rule()
    destination = rule.destinations.get()
    Delivery.objects.bulk_create(
        Delivery(key=f"k{i}", rule=rule, destination=destination, event="down",
                 subject=f"delivery number {i:02d}")
        for i in range(25)
    )  # fmt: skip
    client = client_of(tenant_admin)
    first = html(client.get(f"/alerts/{rule.pk}/"))
    assert first.count("delivery number") == 20
    assert "Page 1 of 2" in first
    second = client.get(f"/alerts/{rule.pk}/?page=2", headers={"HX-Request": "true"})
    assert second.content.decode().count("delivery number") == 5
    assert "<html" not in second.content.decode()
    assert 'id="deliveries"' in second.content.decode()


def test_the_list_says_each_rules_last_delivery(client_of, noc, make_rule):
    rule = make_rule(name="Has sent")
    make_rule(name="Never sent")
    Delivery.objects.create(key="k", rule=rule, destination=rule.destinations.get(),
                            event="down", subject="x", state=Delivery.State.FAILED)  # fmt: skip
    page = html(client_of(noc).get("/alerts/"))
    assert "Failed, gave up" in page
    assert "none yet" in page
    assert "Went Down" in page


# --- who may see what ------------------------------------------------------------------

RULE_URLS = ["/alerts/{}/", "/alerts/{}/edit/", "/alerts/{}/delete/"]
POST_URLS = ["/alerts/{}/edit/", "/alerts/{}/disable/", "/alerts/{}/enable/",
             "/alerts/{}/delete/", "/alerts/{}/test/"]  # fmt: skip


def _every_url_is_404(client, rule):
    for url in RULE_URLS:
        assert client.get(url.format(rule.pk)).status_code == 404, url
    for url in POST_URLS:
        assert client.post(url.format(rule.pk), rule_data()).status_code == 404, url


def test_a_tenant_admin_gets_404_for_another_organizations_rule(client_of, tenant_admin, make_rule):
    rule = make_rule(ORG_OTHER, name="Theirs")
    client = client_of(tenant_admin)
    _every_url_is_404(client, rule)
    assert "Theirs" not in html(client.get("/alerts/"))
    assert AlertRule.objects.get(pk=rule.pk).name == "Theirs"
    assert AlertRule.objects.filter(pk=rule.pk).exists()
    assert not Delivery.objects.exists()
    assert not AuditEntry.objects.exists()


def test_a_tenant_admin_gets_404_for_a_fleet_wide_rule(client_of, tenant_admin, make_rule):
    rule = make_rule(None, name="Fleet-wide")
    client = client_of(tenant_admin)
    _every_url_is_404(client, rule)
    assert "Fleet-wide" not in html(client.get("/alerts/"))


def test_noc_sees_every_rule(client_of, noc, make_rule):
    for org in (ORG_A, ORG_OTHER, None):
        make_rule(org, name=f"Rule of {org}")
    page = html(client_of(noc).get("/alerts/"))
    assert all(f"Rule of {org}" in page for org in (ORG_A, ORG_OTHER, None))


@pytest.mark.parametrize("who", ["operator", "viewer", "noc_viewer", "nobody"])
def test_people_who_may_not_manage_rules_get_404_and_no_link(client_of, make_rule, who, request):
    user = request.getfixturevalue(who)
    rule = make_rule()
    client = client_of(user)
    assert client.get("/alerts/").status_code == 404
    assert client.get("/alerts/new/").status_code == 404
    _every_url_is_404(client, rule)
    assert 'href="/alerts/"' not in html(client.get("/audit/"))


def test_the_notifications_link_is_shown_to_those_who_manage_rules(client_of, tenant_admin):
    assert 'href="/alerts/"' in html(client_of(tenant_admin).get("/audit/"))


def test_a_rule_id_past_any_database_key_is_404(client_of, noc):
    assert client_of(noc).get("/alerts/99999999999999999999/").status_code == 404


# --- secrets ---------------------------------------------------------------------------


def test_destination_urls_never_reach_the_audit(client_of, noc, make_rule, on_the_broker):
    client = client_of(noc)
    client.post("/alerts/new/", rule_data(destinations=f"{SECRET_URL}\n{MAIL_URL}"))
    rule = AlertRule.objects.get()
    added = "json://127.0.0.1:9999/also-" + SECRET
    client.post(
        f"/alerts/{rule.pk}/edit/",
        rule_data(destinations=added, remove_destinations=[
            str(rule.destinations.get(url=MAIL_URL).pk)]),
    )  # fmt: skip
    client.post(f"/alerts/{rule.pk}/test/")
    client.post(f"/alerts/{rule.pk}/disable/")
    client.post(f"/alerts/{rule.pk}/delete/")
    entries = list(AuditEntry.objects.order_by("id"))
    assert [e.action for e in entries] == [
        "alert_rule_create", "alert_rule_edit", "alert_rule_test", "alert_rule_disable",
        "alert_rule_delete",
    ]  # fmt: skip
    everything = repr([(e.parameters, e.error_message) for e in entries])
    assert SECRET not in everything and MAIL_SECRET not in everything
    assert entries[1].parameters["destinations_added"] == ["json://127.0.0.1:9999/…"]
    assert entries[1].parameters["destinations_removed"] == ["mailto://…@smtp.example.com/…"]
    audit_page = html(client.get("/audit/"))
    assert "Create a notification rule" in audit_page
    assert SECRET not in audit_page and MAIL_SECRET not in audit_page
    assert not Destination.objects.exists()


def test_rules_are_paginated_and_a_page_comes_alone_to_htmx(client_of, noc, make_rule):
    for i in range(55):
        make_rule(name=f"rule number {i:02d}", urls=())
    client = client_of(noc)
    first = html(client.get("/alerts/"))
    assert first.count("rule number") == 50
    assert "Page 1 of 2" in first
    second = html(client.get("/alerts/?page=2", headers={"HX-Request": "true"}))
    assert second.count("rule number") == 5
    assert "<html" not in second and 'id="rules"' in second


def test_the_form_says_which_profiles_a_rule_concerns(client_of, tenant_admin):
    page = html(client_of(tenant_admin).get("/alerts/new/"))

    assert "“Connection profile failing” concerns the profiles of the rule&#x27;s devices" in page


def test_the_new_rule_form_sent_twice_creates_one_rule_and_shows_it(client_of, tenant_admin):
    """Before, a double click without JavaScript made two rules: every outage notified twice."""
    client = client_of(tenant_admin)
    page = html(client.get("/alerts/new/"))
    key = re.search(r'name="create_key" value="([^"]+)"', page).group(1)
    data = rule_data(create_key=key)

    first = client.post("/alerts/new/", data)
    again = client.post("/alerts/new/", data, follow=True)

    rule = AlertRule.objects.get()
    assert first["Location"] == f"/alerts/{rule.pk}/"
    assert again.redirect_chain == [(f"/alerts/{rule.pk}/", 302)]
    assert "This form was sent already: it created rule “Core routers down”" in html(again)
    assert AuditEntry.objects.filter(action="alert_rule_create").count() == 1


@pytest.mark.parametrize("key", ["", "short"])
def test_a_new_rule_form_without_its_key_creates_nothing_and_keeps_what_was_typed(
    client_of, tenant_admin, key
):
    response = client_of(tenant_admin).post("/alerts/new/", rule_data(create_key=key))
    page = html(response)
    assert response.status_code == 400
    assert "This form was not sent: its page is too old" in page
    assert 'value="Core routers down"' in page
    assert re.search(r'name="create_key" value="[A-Za-z0-9_-]{32}"', page)
    assert not AlertRule.objects.exists()


def test_another_persons_new_rule_form_creates_nothing(client_of, tenant_admin, noc):
    data = rule_data()
    assert client_of(tenant_admin).post("/alerts/new/", data).status_code == 302
    replayed = client_of(noc).post("/alerts/new/", data)
    assert replayed.status_code == 400
    assert AlertRule.objects.count() == 1


def test_a_second_rule_of_one_name_in_one_organization_is_refused_with_a_link_to_the_first(
    client_of, tenant_admin, noc
):
    """Before, Back to the new-rule page (loaded afresh: a new key) and send made the same
    rule twice, and every outage was then notified twice."""
    client = client_of(tenant_admin)
    assert client.post("/alerts/new/", rule_data()).status_code == 302
    rule = AlertRule.objects.get()

    again = client.post("/alerts/new/", rule_data(name="  core ROUTERS down "))

    page = html(again)
    assert again.status_code == 400
    assert "Another rule of this organization is named “Core routers down” already" in page
    assert f'<a href="/alerts/{rule.pk}/">rule {rule.pk}</a>' in page
    assert 'value="CPE-*"' in page
    assert AlertRule.objects.count() == 1
    # Another organization's, or a fleet-wide rule, may have the name.
    assert client_of(noc).post("/alerts/new/", rule_data(organization="fleet")).status_code == 302
    assert client_of(noc).post("/alerts/new/", rule_data(organization="7")).status_code == 302
    assert AlertRule.objects.count() == 3


def test_a_rule_renamed_as_another_of_its_organization_is_refused(
    client_of, tenant_admin, make_rule
):
    make_rule(name="Core routers down")
    second = make_rule(name="Access switches")

    response = client_of(tenant_admin).post(
        f"/alerts/{second.pk}/edit/", rule_data(name="Core Routers Down", destinations="")
    )

    assert response.status_code == 400
    assert "Another rule of this organization is named “Core routers down” already" in html(
        response
    )
    second.refresh_from_db()
    assert second.name == "Access switches"
    # Its own name, kept or recased, is no clash.
    kept = client_of(tenant_admin).post(
        f"/alerts/{second.pk}/edit/", rule_data(name="ACCESS switches", destinations="")
    )
    assert kept.status_code == 302
    # Two rules named alike before names were checked may still be edited.
    twin = make_rule(name="Core routers down")
    edited = client_of(tenant_admin).post(
        f"/alerts/{twin.pk}/edit/",
        rule_data(name="Core routers down", delay_seconds="300", destinations=""),
    )
    assert edited.status_code == 302


def test_a_rule_of_an_organization_takes_only_its_devices(
    alerts, all_devices, client_of, tenant_admin
):
    """Before, another organization's device id was kept in a rule silently (the maintenance
    window form refused the same ids)."""
    mine = next(d for d in all_devices() if d.organization_id == ORG_A)
    theirs = next(d for d in all_devices() if d.organization_id == ORG_OTHER)
    client = client_of(tenant_admin)

    refused = client.post("/alerts/new/", rule_data(device_ids=f"{mine.id} {theirs.id}"))

    page = html(refused)
    assert refused.status_code == 400
    said = re.search(r'id="id_device_ids-error">([^<]*)<', page)
    assert said and said[1].startswith("Not a device of ") and f": {theirs.id} (" in said[1]
    assert f"{mine.id} {theirs.id}" in page  # what was typed
    assert not AlertRule.objects.exists()
    assert client.post("/alerts/new/", rule_data(device_ids=str(mine.id))).status_code == 302


def test_the_rule_page_and_form_say_when_a_flapping_devices_down_is_sent(
    client_of, tenant_admin, make_rule
):
    """Before, the page said only "a condition shorter than this sends nothing", and a
    flapping device's Down was held for up to an hour without a word."""
    rule = make_rule(events=["down", "up"], delay_seconds=0)
    slow = make_rule(name="Slow", events=["down", "flapping"], delay_seconds=600)
    client = client_of(tenant_admin)

    page = html(client.get(f"/alerts/{rule.pk}/"))
    assert "3 or more status changes in the last hour" in page
    assert "its Down is sent once it has stayed Down 5 min" in page
    assert "Choose “Flapping” to hear when a flap starts and ends too." in page
    slow_page = html(client.get(f"/alerts/{slow.pk}/"))
    assert "its Down is sent once it has stayed Down 10 min" in slow_page
    assert "“Flapping” messages say when a flap starts and ends." in slow_page
    form = html(client.get("/alerts/new/"))
    assert "is notified Down once it has stayed Down this long or 5 min" in form
    assert "without it a flapping device&#x27;s Down is still sent" in form


def test_a_delivery_attempt_reads_succeeded_or_failed(client_of, tenant_admin, make_rule):
    """Before, a try that worked showed a bare "ok" before the destination's answer."""
    rule = make_rule()
    delivery = Delivery.objects.create(
        key="k1", rule=rule, destination=rule.destinations.get(), event="down",
        subject="CPE-7 went Down", state=Delivery.State.SENT, attempts=2,
    )  # fmt: skip
    DeliveryAttempt.objects.create(delivery=delivery, ok=False, answer="HTTP 503 from receiver")
    DeliveryAttempt.objects.create(delivery=delivery, ok=True, answer="HTTP 200")
    page = html(client_of(tenant_admin).get(f"/alerts/{rule.pk}/"))

    assert '<span class="badge badge-failed">Failed</span> HTTP 503 from receiver' in page
    assert '<span class="badge badge-ok">Succeeded</span> HTTP 200' in page
    assert ">ok<" not in page
