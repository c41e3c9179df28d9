"""The device page and the edit form with a slow or absent control API: they answer from the
cache at once and load the device's own record in a part of their own; during an outage the
detail-only fields read earlier still show, marked with their age."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings

from controlapi import ControlAPI
from devices import configured, selectors
from fleet.polling import FULL, PollConfig, poll_fleet

pytestmark = pytest.mark.django_db

LATENCY_SECONDS = 4.0


def detail_record(device_id):
    with ControlAPI(settings.CONTROL_API_URL, settings.CONTROL_API_TOKEN) as api:
        return api.get_device(device_id, pending=True)


def poll_again():
    """A full poll, as the beat runs it: the cached rows are list-shaped again."""
    poll_fleet(
        model=configured.read_model(for_pages=False),
        api_factory=configured.upstream(),
        config=PollConfig(page_size=100, parallel=2, lock_ttl=5.0),
        mode=FULL,
    )


def test_the_page_answers_from_the_cache_while_the_upstream_is_slow(
    cached_fleet, device_of_org, viewer, client_of
):
    device = device_of_org(5)
    record = detail_record(device.id)
    client = client_of(viewer)
    cached_fleet.set_faults(latency_ms=LATENCY_SECONDS * 1000)
    started = time.monotonic()
    response = client.get(f"/devices/{device.id}/")
    # Answered before any upstream answer could have arrived: it did not wait for one.
    assert time.monotonic() - started < LATENCY_SECONDS
    html = response.content.decode()
    assert response.status_code == 200
    assert device.serial_number in html  # a field of the cached row
    assert 'id="detail-loading"' in html  # the detail-only fields are on their way
    assert record.username not in html
    # The part the page then asks for brings the device's own record.
    part = client.get(f"/devices/{device.id}/", HTTP_HX_REQUEST="true").content.decode()
    assert record.username in part
    assert record.unique_identifier in part
    assert 'id="detail-loading"' not in part


def test_during_an_outage_the_fields_read_earlier_show_with_their_age(
    cached_fleet, device_of_org, viewer, client_of
):
    device = device_of_org(5)
    record = detail_record(device.id)
    client = client_of(viewer)
    client.get(f"/devices/{device.id}/")
    client.get(f"/devices/{device.id}/", HTTP_HX_REQUEST="true")  # the record is read
    poll_again()
    cached_fleet.set_faults(outage_seconds=600)
    html = client.get(f"/devices/{device.id}/").content.decode()
    assert record.username in html
    assert record.unique_identifier in html
    assert 'class="detail-age"' in html
    part = client.get(f"/devices/{device.id}/", HTTP_HX_REQUEST="true").content.decode()
    assert record.username in part
    assert 'class="detail-age"' in part
    assert "Could not load the device's own record" in part


def test_a_detail_part_that_cannot_be_loaded_says_so(
    cached_fleet, device_of_org, viewer, client_of
):
    device = device_of_org(5)
    cached_fleet.set_faults(outage_seconds=600)
    response = client_of(viewer).get(f"/devices/{device.id}/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    part = response.content.decode()
    assert "Could not load the device's own record" in part
    assert "not loaded" in part
    assert "Try again" in part


def test_a_kept_detail_record_of_another_organization_is_not_shown(cached_fleet, device_of_org):
    """The device moved to organization 7 since its record was read in organization 5:
    a member of 7 only must not see what it held then."""
    device = device_of_org(5)
    model = configured.read_model()
    model.keep_detail(detail_record(device.id), read_at=datetime.now(UTC) - timedelta(minutes=1))
    moved = detail_record(device.id)
    moved = type(moved).from_cache({**moved.to_cache(), "organization_id": 7, "username": None,
                                    "update_frequency": None, "last_change": None})  # fmt: skip
    model.update_devices([moved], observed_at=datetime.now(UTC))
    read = selectors.device_detail(
        device_id=device.id, org_ids=frozenset({7}), max_age=selectors.ANY_AGE, kept_detail=True
    )
    assert read.device is not None
    assert read.detail_kept is None
    assert read.device.username is None


def test_the_edit_page_answers_at_once_and_loads_the_form_in_a_part(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    device = device_of_org(5)
    client = client_of(tenant_admin)
    cached_fleet.set_faults(latency_ms=LATENCY_SECONDS * 1000)
    started = time.monotonic()
    response = client.get(f"/devices/{device.id}/edit/")
    assert time.monotonic() - started < LATENCY_SECONDS
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="edit-loading"' in html
    assert "Save changes" not in html  # no form without the stored values
    cached_fleet.clear_faults()
    part = client.get(f"/devices/{device.id}/edit/form/", HTTP_HX_REQUEST="true").content.decode()
    assert "Save changes" in part
    assert f'value="{device.serial_number}"' in part
    assert "<html" not in part


def test_the_edit_form_is_not_offered_when_the_record_cannot_be_read(
    cached_fleet, device_of_org, tenant_admin, client_of
):
    device = device_of_org(5)
    cached_fleet.set_faults(outage_seconds=600)
    client = client_of(tenant_admin)
    response = client.get(f"/devices/{device.id}/edit/form/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    part = response.content.decode()
    assert "Could not load the device's current record" in part
    # Before, it said "The form is offered only with the stored values" over no form.
    assert "No form is offered until it loads" in part
    assert "The form is offered" not in part
    assert "Save changes" not in part
    assert "Try again" in part


def test_the_edit_form_part_is_404_for_an_outsider(
    cached_fleet, device_of_org, outsider, client_of
):
    device = device_of_org(5)
    response = client_of(outsider).get(f"/devices/{device.id}/edit/form/")
    assert response.status_code == 404
