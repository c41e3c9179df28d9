"""Each of the simulator's fault modes, held for every upstream request, across the main pages
and one action: every page answers below 500, and the action is recorded with an outcome.

The fleet is in the read model first (a poll before the fault), as in production.
"""

import pytest

from devices.models import ActionRecord

pytestmark = pytest.mark.django_db

FAULTS = {
    "slow": {"latency_ms": 500},
    "500 burst": {"error_rate": 1.0, "error_status": [500, 502, 503]},
    "429 with Retry-After": {"rate_limit_rate": 1.0, "retry_after": 1},
    "malformed JSON": {"malformed_rate": 1.0, "malformed": "non_json"},
    "truncated body": {"malformed_rate": 1.0, "malformed": "truncated"},
    "hang": {"hang_rate": 1.0, "hang_seconds": 2},
    "outage": {"outage_seconds": 600},
}

State = ActionRecord.State
# What the reboot's record must say: accepted only when it was; "outcome unknown" wherever the
# request may have been applied (no answer, or an answer that cannot be read); failed, with
# nothing sent, when the device's record could not be read before sending it.
OUTCOME = {
    "slow": {State.SENT},
    "500 burst": {State.FAILED, State.UNKNOWN},
    "429 with Retry-After": {State.FAILED},
    "malformed JSON": {State.FAILED},
    "truncated body": {State.FAILED},
    "hang": {State.FAILED, State.UNKNOWN},  # the simulator ends a hang with a 504
    "outage": {State.FAILED},
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_the_main_pages_and_an_action_survive_each_fault(
    cached_fleet, device_of_org, noc, tenant_admin, client_of, settings, fault
):
    settings.CONTROL_API_READ_TIMEOUT = 1  # a hang ends as a timeout, not a wait
    device = device_of_org(5)
    pages = [
        "/", "/devices/", "/devices/?status=down", "/devices/?q=a", "/triage/", "/profiles/",
        "/operations/", "/audit/", f"/devices/{device.id}/", f"/devices/{device.id}/edit/",
        f"/devices/{device.id}/maintenance/", f"/devices/{device.id}/timeline/", "/wall/",
        "/wall/panels/overview/", "/wall/panels/triage/", "/wall/panels/profiles/",
        "/wall/status/", "/wall/settings/", "/views/", "/reports/",
        f"/reports/?organization=5&period=day&day=2026-01-01&device={device.id}",
        "/campaigns/", "/campaigns/new/",
    ]  # fmt: skip
    cached_fleet.set_faults(**FAULTS[fault])
    try:
        for user in (noc, tenant_admin):
            client = client_of(user)
            for path in pages:
                response = client.get(path)
                assert response.status_code < 500, (fault, user.username, path)
            part = client.get(f"/devices/{device.id}/", headers={"HX-Request": "true"})
            assert part.status_code < 500, (fault, user.username, "the device's fields part")

        action = client_of(tenant_admin).post(
            f"/devices/{device.id}/actions/reboot/", {"key": "k" * 32}
        )
        assert action.status_code < 500, (fault, "reboot")
    finally:
        cached_fleet.clear_faults()
    record = ActionRecord.objects.get(device_id=device.id)
    assert record.state in OUTCOME[fault], (fault, record.state)
