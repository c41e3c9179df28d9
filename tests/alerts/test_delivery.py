"""Sending deliveries: retries with backoff, each try and its answer kept; a test
notification is sent like any other; secrets stay out of logs, answers and the audit."""

import json
import logging
import re
from datetime import timedelta

import pytest
from celery import current_app
from django.core.management import call_command
from django.utils import timezone

from accounts.models import AuditEntry
from alerts import delivery, destinations, rule_changes, services
from alerts.models import AlertRule, Delivery, DeliveryAttempt
from alerts.tasks import SEND_DELIVERY

pytestmark = pytest.mark.django_db

SECRET = "hunter2-very-secret"
PATH_TOKEN = "T0KEN-in-the-path"


def _rule(receiver, **options):
    return services.create_rule(
        name="On call", organization_id=5,
        destination_urls=[f"json://{receiver.url}/{PATH_TOKEN}?secret={SECRET}"], **options,
    )  # fmt: skip


def test_a_failing_destination_is_retried_with_backoff_then_given_up(http_receiver):
    http_receiver.status = 500
    rule = _rule(http_receiver)
    (made,) = _made_without_queue(rule)
    now = timezone.now()
    waits = []
    for _ in range(5):
        outcome = delivery.send_one(made.pk, now=now)
        assert outcome is not None
        assert delivery.send_one(made.pk, now=now) is None  # not due again before its time
        if outcome.retry_in is None:
            break
        waits.append(outcome.retry_in)
        now = timezone.now() + outcome.retry_in + timedelta(seconds=1)

    assert waits == [timedelta(seconds=s) for s in (30, 120, 600, 1800)]
    made.refresh_from_db()
    assert made.state == Delivery.State.FAILED and made.attempts == 5
    answers = list(made.tries.values_list("ok", "answer"))
    assert answers == [(False, "HTTP 500 Internal Server Error.")] * 5
    assert len(http_receiver.requests) == 5


def _made_without_queue(rule):
    """The test deliveries of the rule, made as the page makes them (the queueing after
    commit does not run inside this test's transaction)."""
    return services.send_test_notification(rule, None)


def test_a_test_notification_is_sent_by_the_named_task(http_receiver, settings):
    rule = _rule(http_receiver)
    (made,) = services.send_test_notification(rule, None)

    current_app.tasks[SEND_DELIVERY].apply(args=(made.pk,))

    made.refresh_from_db()
    assert made.state == Delivery.State.SENT and made.event == "test"
    body = json.loads(http_receiver.requests[0]["body"])
    assert body["event"] == "test" and body["rule"] == {"id": rule.pk, "name": "On call"}


def test_destination_urls_never_reach_the_log_the_answers_or_the_audit(
    http_receiver, caplog, capsys
):
    caplog.set_level(logging.DEBUG)
    http_receiver.status = 403
    closed = f"json://someone:{SECRET}@127.0.0.1:1/{PATH_TOKEN}?secret={SECRET}"
    call_command(
        "alert_rule", "create", "--name", "Secrets", "--organization", "5",
        "--destination", f"json://{http_receiver.url}/{PATH_TOKEN}?secret={SECRET}",
        "--destination", closed,
    )  # fmt: skip
    call_command("alert_rule", "list")
    rule = AlertRule.objects.get()
    for made in _made_without_queue(rule):
        delivery.send_one(made.pk)
    destinations.problem(f"nosuchscheme://{PATH_TOKEN}/{SECRET}")

    printed = capsys.readouterr().out
    answers = " ".join(DeliveryAttempt.objects.values_list("answer", flat=True))
    audit = json.dumps(list(AuditEntry.objects.values("parameters", "error_message")))
    for text in (caplog.text, printed, answers, audit):
        assert SECRET not in text and PATH_TOKEN not in text
    assert re.search(r"json://127\.0\.0\.1:\d+/…", printed)
    assert "HTTP 403 Forbidden." in answers
    assert "no answer" in answers


def test_mask_keeps_the_scheme_and_host_only():
    assert destinations.mask("jsons://u:p@hooks.example.com:8443/a/b?secret=x") == (
        "jsons://…@hooks.example.com:8443/…"
    )
    assert destinations.mask("mailto:oncall@example.com") == "mailto://…@example.com/…"
    assert destinations.mask("slack://T1/B2/C3") == "slack://…"


def test_the_sweeper_finds_deliveries_whose_lease_ran_out(http_receiver, settings):
    rule = _rule(http_receiver)
    (made,) = _made_without_queue(rule)
    taken = delivery.claim(made.pk, now=timezone.now())
    assert taken is not None and delivery.claim(made.pk, now=timezone.now()) is None

    assert made.pk not in delivery.due_deliveries(now=timezone.now())
    later = timezone.now() + timedelta(seconds=settings.ALERT_SEND_LEASE_SECONDS + 1)
    assert made.pk in delivery.due_deliveries(now=later)


def test_a_delivery_waiting_for_a_destination_removed_since_is_not_sent_and_kept(
    http_receiver,
):
    rule = _rule(http_receiver)
    (made,) = _made_without_queue(rule)
    rule.destinations.all().delete()

    outcome = delivery.send_one(made.pk)

    assert outcome == delivery.Outcome(Delivery.State.FAILED)
    assert http_receiver.requests == []
    made.refresh_from_db()
    assert made.where.startswith("json://") and PATH_TOKEN not in made.where
    assert list(made.tries.values_list("ok", "answer")) == [(False, delivery.NOT_SENT_REMOVED)]


def test_a_delivery_waiting_when_its_rule_is_deleted_is_not_sent_and_kept(http_receiver, noc):
    rule = _rule(http_receiver)
    (made,) = _made_without_queue(rule)
    rule_changes.delete_rule(user=noc, rule=rule)

    made.refresh_from_db()  # given up at once: no worker takes it any more
    assert made.state == Delivery.State.FAILED
    assert list(made.tries.values_list("ok", "answer")) == [(False, delivery.NOT_SENT_REMOVED)]
    assert delivery.send_one(made.pk) is None
    assert http_receiver.requests == []
    made.refresh_from_db()
    assert (made.rule, made.deleted_rule_name, made.deleted_rule_organization_id) == (
        None, "On call", 5,
    )  # fmt: skip


def test_an_email_written_to_the_mail_folder_says_so_not_smtp(
    settings, tmp_path, client_of, tenant_admin
):
    """The demo has no SMTP server: the file backend writes each message to EMAIL_FILE_PATH,
    and before, its delivery said "Accepted by the SMTP server localhost:25"."""
    folder = tmp_path / "mail"
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(folder)
    rule = services.create_rule(
        name="On call", organization_id=5, destination_urls=["mailto://oncall@example.com"]
    )
    (made,) = services.send_test_notification(rule, None)

    current_app.tasks[SEND_DELIVERY].apply(args=(made.pk,))

    (written,) = folder.iterdir()
    assert "To: oncall@example.com" in written.read_text()
    (attempt,) = made.tries.all()
    assert attempt.ok
    assert attempt.answer.startswith(f"Written to the mail folder {folder}, not sent:")
    page = client_of(tenant_admin).get(f"/alerts/{rule.pk}/").content.decode()
    assert f"Written to the mail folder {folder}, not sent" in page
    assert "EMAIL_HOST" in page and "SMTP server" in page
    assert "Accepted by the SMTP server" not in page


def test_an_email_accepted_by_the_smtp_server_names_it(smtp_server, settings):
    rule = services.create_rule(
        name="On call", organization_id=5, destination_urls=["mailto://oncall@example.com"]
    )
    (made,) = services.send_test_notification(rule, None)

    current_app.tasks[SEND_DELIVERY].apply(args=(made.pk,))

    assert [m["to"] for m in smtp_server.messages] == [["oncall@example.com"]]
    (attempt,) = made.tries.all()
    assert (attempt.ok, attempt.answer) == (
        True, f"Accepted by the SMTP server 127.0.0.1:{settings.EMAIL_PORT}."
    )  # fmt: skip


def test_a_try_under_way_when_its_destination_is_removed_is_not_retried(
    http_receiver, noc, monkeypatch
):
    """The rule's edit leaves a delivery being sent to its worker; before, a failed try
    then scheduled a retry of a destination that was gone."""
    http_receiver.status = 500
    rule = _rule(http_receiver)
    (made,) = _made_without_queue(rule)
    send = destinations.send

    def removed_while_sending(url, **message):
        answer = send(url, **message)
        data = {f: getattr(rule, f) for f in rule_changes.RULE_FIELDS}
        rule_changes.update_rule(user=noc, rule=rule, data=data | {
            "organization": rule.organization_id, "destinations": [],
            "removed": list(rule.destinations.all()),
        })  # fmt: skip
        return answer

    monkeypatch.setattr(destinations, "send", removed_while_sending)

    assert delivery.send_one(made.pk) == delivery.Outcome(Delivery.State.FAILED)
    made.refresh_from_db()
    assert made.state == Delivery.State.FAILED
    assert list(made.tries.values_list("answer", flat=True)) == [
        "HTTP 500 Internal Server Error.",
        delivery.NOT_SENT_REMOVED,
    ]
    assert made.pk not in delivery.due_deliveries(now=timezone.now() + timedelta(days=1))
