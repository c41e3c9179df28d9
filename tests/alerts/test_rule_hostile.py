"""A rule's form with every other field valid, and hostile destinations or selector values:
always below 500; and the test button with the broker down still answers, its deliveries
left pending for the sender to find."""

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alerts.models import AlertRule, Delivery
from tests.alerts.conftest import rule_data
from tests.site_wide.test_hostile_fuzz import FUZZ, HOSTILE

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("field", ["destinations", "device_ids", "pattern", "organization"])
def test_a_valid_rule_with_one_hostile_field_answers_below_500(client_of, tenant_admin, field):
    client = client_of(tenant_admin)

    @FUZZ
    @given(value=st.one_of(HOSTILE, HOSTILE.map(lambda v: f"json://{v}/x")))
    def check(value):
        response = client.post("/alerts/new/", rule_data(**{field: value}))
        assert response.status_code < 500, (field, value, response.status_code)

    check()


def test_the_test_button_with_the_broker_down_answers_and_leaves_the_delivery_pending(
    client_of, noc, make_rule, on_the_broker, django_capture_on_commit_callbacks
):
    rule = make_rule()
    on_the_broker.kill()
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_of(noc).post(f"/alerts/{rule.pk}/test/")
    assert response.status_code == 302
    assert time.monotonic() - started < 15
    assert Delivery.objects.get(rule=rule).state == Delivery.State.PENDING
    assert AlertRule.objects.filter(pk=rule.pk).exists()
    on_the_broker.start()  # the fixture kills it at the end


def test_the_rule_pages_answer_with_redis_down(client_of, noc, make_rule, redis_down):
    rule = make_rule()
    client = client_of(noc)
    assert client.get("/alerts/new/").status_code == 200
    for path in ("/alerts/", f"/alerts/{rule.pk}/", f"/alerts/{rule.pk}/edit/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "json://receiver.example:8080/…" in response.content.decode(), path
