"""/metrics: closed unless a token or an address list is set; with access, the request metrics
of django-prometheus and the fleet's read at scrape time, matching the read model; never a
500 when Redis or the broker is away."""

import uuid
from datetime import UTC, datetime

import msgspec
import pytest
from prometheus_client.parser import text_string_to_metric_families

import devices.upstream
import monitoring.metrics
from devices.models import ActionRecord
from devices.upstream_calls import UpstreamCallTally
from fleet import polling
from tests.fixtures.fleet import CLOSED_PORT_URL
from tests.fixtures.users import make_user

TOKEN = "metrics-test-token-0123456789"
BEARER = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


@pytest.fixture
def metrics_settings(db, cache_settings, redis_url, monkeypatch):
    # A tally of the test's own: counts an earlier test left waiting (its Redis was down)
    # would otherwise land in this test's keys.
    tally = UpstreamCallTally()
    monkeypatch.setattr(devices.upstream, "upstream_calls", tally)
    monkeypatch.setattr(monitoring.metrics, "upstream_calls", tally)
    cache_settings.METRICS_TOKEN = TOKEN
    cache_settings.METRICS_ALLOWED_ADDRESSES = []
    cache_settings.CELERY_BROKER_URL = redis_url
    # A queue of the test's own: the shared Redis's "celery" list may hold anyone's messages.
    cache_settings.CELERY_TASK_DEFAULT_QUEUE = f"test-queue-{uuid.uuid4().hex[:8]}"
    return cache_settings


def _samples(response) -> dict[tuple[str, frozenset], float]:
    assert response.status_code == 200
    found = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def _value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def test_metrics_are_closed_when_nothing_allows_them(client, metrics_settings):
    metrics_settings.METRICS_TOKEN = None

    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", **BEARER).status_code == 404


def test_metrics_refuse_a_request_without_the_token(client, metrics_settings):
    response = client.get("/metrics")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"noc_" not in response.content


def test_metrics_refuse_a_wrong_token(client, metrics_settings):
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")

    assert response.status_code == 401


def test_metrics_answer_the_token_with_every_named_family(client, metrics_settings):
    client.get("/healthz")  # one request counted per view

    response = client.get("/metrics", **BEARER)

    assert response["Content-Type"].startswith("text/plain")
    names = {f.name for f in text_string_to_metric_families(response.content.decode())}
    assert {
        "django_http_requests_total_by_view_transport_method",
        "django_http_requests_latency_seconds_by_view_method",
        "noc_devices",
        "noc_poll_duration_seconds",
        "noc_poll_last_success_timestamp_seconds",
        "noc_poll_consecutive_failures",
        "noc_poll_failures",
        "noc_upstream_calls",
        "noc_celery_queue_length",
        "noc_actions",
        "noc_dependency_up",
    } <= names
    samples = _samples(response)
    assert (
        _value(
            samples,
            "django_http_requests_total_by_view_transport_method_total",
            view="healthz",
            transport="http",
            method="GET",
        )
        >= 1
    )


def test_an_address_list_lets_only_its_addresses_in(client, metrics_settings):
    import ipaddress

    metrics_settings.METRICS_TOKEN = None
    metrics_settings.METRICS_ALLOWED_ADDRESSES = [ipaddress.ip_network("10.0.0.0/8")]

    assert client.get("/metrics", REMOTE_ADDR="192.168.1.5").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200


def test_with_a_token_and_an_address_list_both_must_hold(client, metrics_settings):
    import ipaddress

    metrics_settings.METRICS_ALLOWED_ADDRESSES = [ipaddress.ip_network("10.0.0.0/8")]

    assert client.get("/metrics", REMOTE_ADDR="192.168.1.5", **BEARER).status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 401
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3", **BEARER).status_code == 200


def test_fleet_gauges_match_the_read_model(
    client, metrics_settings, model, api_factory, poll_config
):
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")
    counts = model.current_org_counts()
    health = model.poll_health(polling.FLEET)

    samples = _samples(client.get("/metrics", **BEARER))

    assert counts
    for org, (up, down) in counts.items():
        assert _value(samples, "noc_devices", organization=str(org), status="up") == up
        assert _value(samples, "noc_devices", organization=str(org), status="down") == down
    listed = sum(v for (name, _), v in samples.items() if name == "noc_devices")
    assert listed == model.snapshot_info().devices
    assert _value(samples, "noc_fleet_snapshot_timestamp_seconds") == pytest.approx(
        model.snapshot_info().as_of.timestamp()
    )
    assert _value(samples, "noc_poll_duration_seconds", poller="fleet") == pytest.approx(
        health.duration
    )
    assert _value(
        samples, "noc_poll_last_success_timestamp_seconds", poller="fleet"
    ) == pytest.approx(health.last_success.timestamp())
    assert _value(samples, "noc_dependency_up", dependency="redis") == 1


def test_devices_without_an_organization_are_counted_apart(
    client, metrics_settings, model, api_factory, poll_config
):
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")
    device = model.get_device(1001).device
    model.update_devices(
        [msgspec.structs.replace(device, organization_id=None)], observed_at=datetime.now(UTC)
    )
    status = "up" if device.is_up else "down"

    samples = _samples(client.get("/metrics", **BEARER))

    assert _value(samples, "noc_devices", organization="none", status=status) == 1
    listed = sum(v for (name, _), v in samples.items() if name == "noc_devices")
    assert listed == model.snapshot_info().devices


def test_poll_failures_are_counted_by_reason(
    client, metrics_settings, model, api_factory, poll_config, sim_control
):
    sim_control.set_faults(error_rate=1.0)
    for _ in range(2):
        with pytest.raises(polling.PollFailed):
            polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config)

    samples = _samples(client.get("/metrics", **BEARER))

    assert _value(samples, "noc_poll_failures_total", poller="fleet", reason="upstream_error") == 2
    assert _value(samples, "noc_poll_consecutive_failures", poller="fleet") == 2


def test_upstream_calls_are_counted_by_endpoint_and_status(client, metrics_settings, simulator):
    from devices.upstream import control_api

    with control_api() as api:
        api.get_device(1001)
        with pytest.raises(Exception):  # noqa: B017 -- NotFound; the count is what matters
            api.get_device(999999999)

    samples = _samples(client.get("/metrics", **BEARER))

    calls = "noc_upstream_calls_total"
    endpoint = "/inventory_device/{id}/"
    assert _value(samples, calls, method="GET", endpoint=endpoint, outcome="200") == 1
    assert _value(samples, calls, method="GET", endpoint=endpoint, outcome="404") == 1


def test_the_celery_queue_length_is_the_brokers(client, metrics_settings, redis_client):
    queue = metrics_settings.CELERY_TASK_DEFAULT_QUEUE
    # Tests before this one leave messages there (each poll sends the notifications' run).
    redis_client.delete(queue)
    redis_client.rpush(queue, "a", "b", "c")
    try:
        samples = _samples(client.get("/metrics", **BEARER))
    finally:
        redis_client.delete(queue)

    assert _value(samples, "noc_celery_queue_length", queue=queue) == 3


def test_action_outcomes_are_counted_by_state(client, metrics_settings):
    user = make_user("metrics-actions")
    for n, state in enumerate(["sent", "sent", "failed", "unknown"]):
        ActionRecord.objects.create(
            key=f"k{n}", user=user, device_id=1, action="reboot", state=state
        )

    samples = _samples(client.get("/metrics", **BEARER))

    assert _value(samples, "noc_actions", action="reboot", state="sent") == 2
    assert _value(samples, "noc_actions", action="reboot", state="failed") == 1
    assert _value(samples, "noc_actions", action="reboot", state="unknown") == 1


def test_without_redis_or_broker_the_metrics_still_answer_and_say_so(client, metrics_settings):
    metrics_settings.REDIS_URL = f"redis://{CLOSED_PORT_URL}/0"
    metrics_settings.CELERY_BROKER_URL = f"redis://{CLOSED_PORT_URL}/0"

    samples = _samples(client.get("/metrics", **BEARER))

    assert _value(samples, "noc_dependency_up", dependency="redis") == 0
    assert _value(samples, "noc_dependency_up", dependency="broker") == 0
    assert _value(samples, "noc_dependency_up", dependency="database") == 1
    assert not any(name == "noc_devices" for name, _ in samples)


def test_records_set_aside_are_reported_by_their_total_not_the_few_named():
    from fleet.store.health import PollHealth
    from monitoring.metrics import records_set_aside

    assert records_set_aside(PollHealth()) == 0
    named = ((1042, "type is not a number the dashboard can store"),)
    assert records_set_aside(PollHealth(set_aside=named, set_aside_total=3)) == 3


def test_a_malformed_address_list_stops_start_up_naming_it(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from config.env import env_networks

    monkeypatch.setenv("METRICS_ALLOWED_ADDRESSES", "10.0.0.0/8, prometheus.local")

    with pytest.raises(ImproperlyConfigured) as error:
        env_networks("METRICS_ALLOWED_ADDRESSES")

    assert "METRICS_ALLOWED_ADDRESSES" in str(error.value)
    assert "prometheus.local" in str(error.value)
