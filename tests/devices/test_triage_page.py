"""The triage board: Down now, flapping, stuck pending settings, claims and quick actions."""

import re
from datetime import UTC, datetime

from accounts import tenancy
from accounts.models import AuditEntry
from devices import claims, triage
from devices.models import Claim
from tests.fixtures.users import ORG_A


def device_of(all_devices, org, up=True):
    return next(d for d in all_devices() if d.organization_id == org and d.is_up == up)


def board_once_up_long_enough(user):
    """The user's board read once a device Up now has stayed Up for claims.KEPT_UP."""
    later = datetime.now(UTC) + claims.KEPT_UP
    return triage.triage_board(user=user, scope=tenancy.scope_for(user), now=later)


def section(content: str, kind: str) -> list[int]:
    match = re.search(rf'data-kind="{kind}">(.*?)</table>', content, re.S)
    return [int(i) for i in re.findall(r'data-device-id="(\d+)"', match.group(1))] if match else []


def test_a_device_taken_down_appears_first_in_down_now_after_a_poll(
    client_of, noc, polled, poll, all_devices
):
    device = device_of(all_devices, ORG_A)
    polled.set_status(device.id, up=False)
    poll()

    content = client_of(noc).get("/triage/").content.decode()

    assert section(content, "down")[0] == device.id


def test_down_now_lists_only_the_users_organizations(client_of, tenant_admin, polled, all_devices):
    fleet = {d.id: d.organization_id for d in all_devices()}

    content = client_of(tenant_admin).get("/triage/").content.decode()

    shown = section(content, "down")
    assert shown and {fleet[i] for i in shown} == {ORG_A}


def test_a_device_changing_three_times_in_an_hour_is_flapping(
    client_of, noc, polled, poll, all_devices
):
    device = device_of(all_devices, ORG_A)
    for up in (False, True, False):
        polled.set_status(device.id, up=up)
        poll()

    content = client_of(noc).get("/triage/").content.decode()

    assert device.id in section(content, "flapping")


def test_pending_settings_count_as_stuck_only_after_the_threshold(
    client_of, noc, polled, settings, all_devices
):
    pending = [d for d in all_devices() if d.pending_settings]
    assert pending
    client = client_of(noc)

    first = client.get("/triage/").content.decode()
    settings.TRIAGE_PENDING_MINUTES = 0
    later = client.get("/triage/").content.decode()

    assert section(first, "stuck") == []
    assert set(section(later, "stuck")) == {d.id for d in pending}


def test_first_seen_of_a_pending_entry_is_kept_between_polls(model, poll, polled, all_devices):
    pending = [d for d in all_devices() if d.pending_settings][:3]
    entries = [(d.id, p.name) for d in pending for p in d.pending_settings]
    start = model.snapshot_info().as_of  # the first poll's start (`polled` ran it)

    first = model.pending_first_seen(entries)
    poll()
    again = model.pending_first_seen(entries)

    assert first == again and set(again.values()) == {start}


def test_claim_is_shown_to_others_who_can_see_the_device(
    client_of, operator, tenant_admin, polled, poll, all_devices
):
    device = device_of(all_devices, ORG_A)
    polled.set_status(device.id, up=False)
    poll()

    client_of(operator).post(f"/triage/{device.id}/claim/", {"note": "driving to site"})
    content = client_of(tenant_admin).get("/triage/").content.decode()

    assert "driving to site" in content and "operator" in content
    assert AuditEntry.objects.filter(action="claim", device_id=device.id).count() == 1


def test_a_claim_ends_once_the_device_has_stayed_up_long_enough(
    client_of, operator, polled, poll, all_devices
):
    device = device_of(all_devices, ORG_A)
    polled.set_status(device.id, up=False)
    poll()
    client = client_of(operator)
    client.post(f"/triage/{device.id}/claim/", {"note": "on it"})

    polled.set_status(device.id, up=True)
    poll()
    client.get("/triage/")
    kept_while_just_up = Claim.objects.filter(device_id=device.id).exists()
    board_once_up_long_enough(operator)

    assert kept_while_just_up
    assert not Claim.objects.filter(device_id=device.id).exists()


def test_an_outsider_cannot_claim_a_device_of_another_organization(
    client_of, outsider, polled, all_devices
):
    device = device_of(all_devices, ORG_A, up=False)

    response = client_of(outsider).post(f"/triage/{device.id}/claim/", {"note": "mine"})

    assert response.status_code == 404
    assert not Claim.objects.exists()


def test_quick_reboot_sends_one_reboot_and_is_audited(client_of, operator, polled, all_devices):
    device = device_of(all_devices, ORG_A, up=False)
    polled.clear_log()

    response = client_of(operator).post(f"/triage/{device.id}/reboot/")

    patches = [e for e in polled.request_log(last=50)["entries"] if e["method"] == "PATCH"]
    assert response.status_code == 302
    assert [e["path"] for e in patches] == [f"/api/v1/inventory_device/{device.id}/"]
    assert AuditEntry.objects.filter(action="reboot", device_id=device.id).count() == 1


def test_a_quick_reboot_sent_twice_from_the_same_board_reboots_once(
    client_of, operator, polled, all_devices
):
    """Before, each sending made its own key: a double click without JavaScript (no
    confirmation there) rebooted the device twice."""
    device = device_of(all_devices, ORG_A, up=False)
    client = client_of(operator)
    board = client.get("/triage/").content.decode()
    form = re.search(rf'action="/triage/{device.id}/reboot/[^"]*".*?</form>', board, re.S).group(0)
    key = re.search(r'name="key" value="([^"]+)"', form).group(1)
    polled.clear_log()

    client.post(f"/triage/{device.id}/reboot/", {"key": key})
    again = client.post(f"/triage/{device.id}/reboot/", {"key": key}, follow=True)

    patches = [e for e in polled.request_log(last=50)["entries"] if e["method"] == "PATCH"]
    assert len(patches) == 1
    assert AuditEntry.objects.filter(action="reboot", device_id=device.id).count() == 1
    assert "This reboot was sent already" in again.content.decode()


def test_a_viewer_gets_no_reboot_button_and_cannot_reboot(client_of, viewer, polled, all_devices):
    device = device_of(all_devices, ORG_A, up=False)
    polled.clear_log()
    client = client_of(viewer)

    content = client.get("/triage/").content.decode()
    client.post(f"/triage/{device.id}/reboot/")

    assert f"/triage/{device.id}/reboot/" not in content
    assert not [e for e in polled.request_log(last=50)["entries"] if e["method"] == "PATCH"]


def test_quick_refresh_reads_the_device_with_update_status(
    client_of, operator, polled, all_devices
):
    device = device_of(all_devices, ORG_A, up=False)
    polled.clear_log()

    client_of(operator).post(f"/triage/{device.id}/refresh/")

    queries = [str(e["query"]) for e in polled.request_log(last=50)["entries"]]
    assert any("update_status" in q for q in queries)
    assert AuditEntry.objects.filter(action="refresh", device_id=device.id, result="ok").exists()


def test_the_board_partial_is_served_to_htmx(client_of, noc, polled):
    content = client_of(noc).get("/triage/", HTTP_HX_REQUEST="true").content.decode()

    assert content.lstrip().startswith('<div id="triage-board"') and "<html" not in content


def test_without_redis_or_upstream_the_board_explains(client_of, noc, redis_down, upstream_down):
    response = client_of(noc).get("/triage/")

    assert response.status_code == 200
    assert "could not be read either" in response.content.decode()


def test_a_second_person_claiming_a_claimed_device_is_told_and_takes_nothing(
    client_of, operator, tenant_admin, polled, poll, all_devices
):
    device = device_of(all_devices, ORG_A)
    polled.set_status(device.id, up=False)
    poll()
    client_of(operator).post(f"/triage/{device.id}/claim/", {"note": "driving to site"})

    # The tenant admin's board was drawn before the operator's claim.
    response = client_of(tenant_admin).post(
        f"/triage/{device.id}/claim/", {"note": "me too"}, HTTP_HX_REQUEST="true"
    )

    claim = Claim.objects.get(device_id=device.id)
    assert (claim.user, claim.note) == (operator, "driving to site")
    assert "operator is already on it" in response.content.decode()
    assert AuditEntry.objects.filter(action="claim", device_id=device.id).count() == 1


def test_claiming_ones_own_claim_again_changes_its_note(
    client_of, operator, polled, poll, all_devices
):
    device = device_of(all_devices, ORG_A)
    polled.set_status(device.id, up=False)
    poll()
    client = client_of(operator)
    client.post(f"/triage/{device.id}/claim/", {"note": "driving to site"})

    client.post(f"/triage/{device.id}/claim/", {"note": "on site now"})

    claim = Claim.objects.get(device_id=device.id)
    assert (claim.user, claim.note) == (operator, "on site now")


def test_releasing_a_claim_already_gone_says_so_and_audits_nothing(
    client_of, operator, tenant_admin, polled, poll, all_devices
):
    device = device_of(all_devices, ORG_A)
    polled.set_status(device.id, up=False)
    poll()
    client_of(operator).post(f"/triage/{device.id}/claim/", {"note": "on it"})
    client_of(tenant_admin).post(f"/triage/{device.id}/release/")

    # The operator's board still shows their claim.
    response = client_of(operator).post(f"/triage/{device.id}/release/", HTTP_HX_REQUEST="true")

    content = response.content.decode()
    assert "Claim released." not in content and "no claim to release" in content
    assert AuditEntry.objects.filter(action="release_claim").count() == 1


def test_a_claim_on_a_stuck_device_that_is_up_stays_while_it_is_listed(
    client_of, noc, polled, settings, all_devices
):
    device = next(d for d in all_devices() if d.pending_settings and d.is_up)
    settings.TRIAGE_PENDING_MINUTES = 0
    client = client_of(noc)
    assert device.id in section(client.get("/triage/").content.decode(), "stuck")

    client.post(f"/triage/{device.id}/claim/", {"note": "chasing the pending config"})
    content = client.get("/triage/").content.decode()

    assert Claim.objects.filter(device_id=device.id).exists()
    assert "chasing the pending config" in content


def test_a_note_with_a_nul_character_still_claims(client_of, operator, polled, poll, all_devices):
    device = device_of(all_devices, ORG_A)
    polled.set_status(device.id, up=False)
    poll()

    response = client_of(operator).post(f"/triage/{device.id}/claim/", {"note": "on\x00 site"})

    assert response.status_code == 302
    assert Claim.objects.get(device_id=device.id).note == "on site"


def test_a_quick_action_that_failed_is_shown_as_an_error_not_as_news(
    client_of, operator, polled, all_devices
):
    """Before, "Could not check the device … nothing was sent" stood in the same blue box
    as "Reboot: accepted by the control API"."""
    device = device_of(all_devices, ORG_A, up=False)
    client = client_of(operator)
    board = client.get("/triage/").content.decode()
    key = re.search(
        rf'action="/triage/{device.id}/reboot/.*?name="key" value="([^"]+)"', board, re.S
    )

    polled.set_faults(error_rate=1.0, error_status=[503])
    failed = client.post(f"/triage/{device.id}/reboot/", {"key": key.group(1)},
                         HTTP_HX_REQUEST="true").content.decode()  # fmt: skip
    polled.clear_faults()
    sent = client.post(f"/triage/{device.id}/reboot/", HTTP_HX_REQUEST="true").content.decode()

    assert re.search(r'<p class="message message-error" role="alert">[^<]*nothing was sent', failed)
    assert re.search(r'<p class="message" role="status">[^<]*accepted by the control API', sent)
