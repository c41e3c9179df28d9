"""The evaluation follows each poll by itself (devices.tasks sends `alerts.evaluate`),
and the poller failing is an event with its recovery."""

import re
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from alerts import evaluation
from alerts.models import Delivery, EvaluationCursor
from config.celery import app
from devices import tasks
from fleet import polling

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager():
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def test_a_poll_is_followed_by_the_evaluation_of_its_transitions(
    alerts, up_device, http_receiver, eager
):
    alerts.rule(organization_id=5, delay_seconds=0,
                destination_urls=[f"json://{http_receiver.url}/hook"])  # fmt: skip
    before = EvaluationCursor.objects.get().last_id

    alerts.take(up_device[0], up=False)  # the poll runs the evaluation, which sends

    assert EvaluationCursor.objects.get().last_id != before
    assert list(Delivery.objects.values_list("event", "state")) == [("down", "sent")]
    assert len(http_receiver.requests) == 1


def test_the_poller_failing_notifies_after_the_delay_and_its_recovery(
    alerts, http_receiver, still_fleet
):
    alerts.rule(events=["poller_failing"], delay_seconds=60,
                destination_urls=[f"json://{http_receiver.url}/hook"])  # fmt: skip
    still_fleet.set_faults(error_rate=1.0, error_status=[503])
    tasks.poll_fleet.apply(args=(polling.INCREMENTAL,))  # fails, and its two retries
    assert alerts.model.poll_health(polling.FLEET).failures >= 3

    assert alerts.evaluate(after=1) == []
    assert [d.event for d in alerts.evaluate(after=61)] == ["poller_failing"]
    assert alerts.evaluate(after=120) == []

    still_fleet.clear_faults()
    alerts.poll()
    assert [d.event for d in alerts.evaluate(after=130)] == ["poller_recovered"]


def test_the_poller_failing_mail_has_a_short_subject_and_says_the_failure_once(
    alerts, smtp_server, still_fleet
):
    """Before, the subject was the whole failure (about 190 characters, folded mid-sentence)
    and the mail's text said it twice: in the subject line and again in the detail."""
    alerts.rule(events=["poller_failing"], delay_seconds=60,
                destination_urls=["mailto://oncall@example.com"])  # fmt: skip
    still_fleet.set_faults(error_rate=1.0, error_status=[503])
    tasks.poll_fleet.apply(args=(polling.INCREMENTAL,))  # fails, and its two retries
    failures = alerts.model.poll_health(polling.FLEET).failures
    alerts.evaluate(after=1)
    alerts.evaluate(after=61)

    (mail,) = smtp_server.messages
    assert re.fullmatch(rf"Poller failing since \d\d:\d\d UTC: {failures} polls failed",
                        mail["subject"])  # fmt: skip
    text = mail["text"]
    assert text.count("The control API failed on its side (503)") == 1
    assert text.count("The previous snapshot is kept.") == 1
    assert f"{failures} polls in a row" in text


class Died(Exception):
    pass


def test_a_run_that_dies_before_its_end_is_redone_whole_and_once(alerts, up_device, http_receiver):
    alerts.rule(organization_id=5, delay_seconds=0,
                destination_urls=[f"json://{http_receiver.url}/hook"])  # fmt: skip
    alerts.take(up_device[0], up=False)
    at = timezone.now() + timedelta(seconds=5)
    with pytest.raises(Died), transaction.atomic():
        evaluation.evaluate(model=alerts.model, now=at)
        raise Died  # the worker dies before the run commits

    assert not Delivery.objects.exists()
    redone = evaluation.evaluate(model=alerts.model, now=at)
    again = evaluation.evaluate(model=alerts.model, now=at + timedelta(seconds=60))

    assert len(redone.deliveries) == 1 and again.deliveries == []
    assert Delivery.objects.count() == 1
