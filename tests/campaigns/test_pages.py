"""The campaign pages: list, new form (kept when refused), a campaign's progress, devices
by outcome, CSV, and pause/resume/cancel as audited POSTs; 404 for anyone else."""

import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from accounts.models import AuditEntry, Organization
from campaigns import engine, services
from campaigns.models import Campaign, CampaignDevice
from devices import tasks
from tests.campaigns.conftest import IMAGE, TYPE, all_up, needing
from tests.fixtures.users import ORG_A

pytestmark = pytest.mark.django_db

FORM = {
    "organization": str(ORG_A), "type": str(TYPE), "image": str(IMAGE), "canary": "2",
    "waves": "10%,50%,100%", "soak_minutes": "0", "confirm_timeout_minutes": "5",
    "max_failed_percent": "10", "max_down_percent": "10", "time_zone": "UTC",
}  # fmt: skip


def test_a_campaign_is_made_from_the_form_and_followed_on_its_page(
    fleet, target_devices, tenant_admin, client_of, monkeypatch, start_worker
):
    monkeypatch.setattr("campaigns.views.queue_step", lambda campaign_id: None)
    devices = target_devices(ORG_A)
    all_up(fleet, devices)
    client = client_of(tenant_admin)
    assert client.get("/campaigns/").status_code == 200
    assert client.get("/campaigns/new/").status_code == 200

    response = client.post("/campaigns/new/", FORM)
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/campaigns/{campaign.pk}/"
    assert client.post(f"/campaigns/{campaign.pk}/start/").status_code == 302
    start_worker()
    engine.advance(campaign.pk)

    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "canary started: 2 devices" in page
    assert "Canary (current)" in page
    csv = client.get(f"/campaigns/{campaign.pk}/devices.csv").getvalue().decode()
    lines = csv.strip().splitlines()
    assert lines[0].startswith("device_id,device_name,serial_number")
    assert len(lines) == 1 + len(devices)
    waiting = client.get(f"/campaigns/{campaign.pk}/devices.csv?outcome=waiting")
    assert len(waiting.getvalue().decode().strip().splitlines()) == 1 + len(devices) - 2
    campaign.refresh_from_db()
    second = client.get(f"/campaigns/{campaign.pk}/devices.csv?wave=2&outcome=waiting")
    assert len(second.getvalue().decode().strip().splitlines()) == 1 + campaign.wave_sizes[1]
    sent = client.get(f"/campaigns/{campaign.pk}/?outcome=sent").content.decode()
    for device in devices[:2]:
        assert (device.name in sent) == (device in needing(devices[:2]))

    for change, state in (("pause", "paused"), ("resume", "running"), ("cancel", "cancelled")):
        assert client.post(f"/campaigns/{campaign.pk}/{change}/").status_code == 302
        campaign.refresh_from_db()
        assert campaign.state == state
        entry = AuditEntry.objects.filter(action=f"campaign_{change}").get()
        assert entry.username == "tenant-admin"


def test_the_form_speaks_of_updates_not_of_http_methods(fleet, tenant_admin, client_of):
    page = client_of(tenant_admin).get("/campaigns/new/").content.decode()
    assert "the first update sent, only when you start it" in page and "PATCH" not in page


def test_a_refused_form_keeps_what_was_typed(fleet, tenant_admin, client_of):
    response = client_of(tenant_admin).post("/campaigns/new/", FORM | {"waves": "10%,50%"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "The last wave is 100%" in page
    assert 'value="10%,50%"' in page and f'value="{IMAGE}"' in page


def test_more_waves_than_a_roll_out_takes_are_refused(fleet, tenant_admin, client_of):
    # 1,000 steps of 0.1 %: before, accepted, and past 32,767 waves a campaign's wave
    # number would not fit its column.
    waves = ",".join(f"{n / 10:g}%" for n in range(1, 1001))
    response = client_of(tenant_admin).post("/campaigns/new/", FORM | {"waves": waves})
    assert response.status_code == 400
    assert "At most 100 waves after the canary; 1000 were given." in response.content.decode()
    assert not Campaign.objects.exists()


def test_state_changes_are_posts(fleet, tenant_admin, client_of):
    campaign = services.create_campaign(
        user=tenant_admin, new=services.NewCampaign(organization_id=ORG_A, image_id=IMAGE)
    )
    assert client_of(tenant_admin).get(f"/campaigns/{campaign.pk}/cancel/").status_code == 405


def test_anyone_else_finds_no_campaign(fleet, tenant_admin, outsider, operator, client_of):
    campaign = services.create_campaign(
        user=tenant_admin, new=services.NewCampaign(organization_id=ORG_A, image_id=IMAGE)
    )
    client = client_of(outsider)
    for path in ("", "devices.csv"):
        assert client.get(f"/campaigns/{campaign.pk}/{path}").status_code == 404
    assert client.post(f"/campaigns/{campaign.pk}/cancel/").status_code == 404
    link = f'href="/campaigns/{campaign.pk}/"'
    assert link not in client.get("/campaigns/").content.decode()
    assert client_of(operator).get("/campaigns/").status_code == 404
    assert link in client_of(tenant_admin).get("/campaigns/").content.decode()
    campaign.refresh_from_db()
    assert campaign.state == "draft"


@pytest.mark.parametrize(
    "changes",
    [
        {"canary": str(10**12)}, {"image": str(10**30)}, {"type": "-1"}, {"waves": "x"},
        {"soak_minutes": "nan"}, {"max_down_percent": "1e999"}, {"hours_from": "3"},
        {"time_zone": "Mars/Olympus"}, {"organization": "11"}, {"not_before": "yesterday"},
    ],
)  # fmt: skip
def test_hostile_form_input_is_refused_in_words(fleet, tenant_admin, client_of, changes):
    response = client_of(tenant_admin).post("/campaigns/new/", FORM | changes)
    assert response.status_code == 400
    assert not Campaign.objects.exists()


def test_a_roll_back_is_prepared_from_the_page(fleet, target_devices, tenant_admin, client_of):
    from tests.campaigns.conftest import step_until_ended

    devices = target_devices(ORG_A)
    all_up(fleet, devices)
    fleet.mark_image_bad(IMAGE, failure="unconfirmed")
    campaign = services.create_campaign(user=tenant_admin, new=services.NewCampaign(
        organization_id=ORG_A, type_id=TYPE, image_id=IMAGE, canary=2, confirm_timeout_minutes=1,
    ))  # fmt: skip
    services.start_campaign(campaign=campaign, user=tenant_admin)
    step_until_ended(campaign)
    client = client_of(tenant_admin)
    assert "Prepare a roll back" in client.get(f"/campaigns/{campaign.pk}/").content.decode()

    refused = client.post(f"/campaigns/{campaign.pk}/rollback/", {"image": "x"}, follow=True)
    assert "Type the previous image" in refused.content.decode()
    response = client.post(f"/campaigns/{campaign.pk}/rollback/", {"image": str(IMAGE - 1)})
    rollback = Campaign.objects.exclude(pk=campaign.pk).get()
    assert response["Location"] == f"/campaigns/{rollback.pk}/"
    assert rollback.state == "draft" and rollback.image_id == IMAGE - 1
    assert len(rollback.serials) == len(needing(devices[:2]))


@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59", "0001-01-01 00:00"]
)
def test_a_start_time_at_the_calendars_ends_is_refused_in_words(
    fleet, tenant_admin, client_of, moment
):
    response = client_of(tenant_admin).post("/campaigns/new/", FORM | {"not_before": moment})
    assert response.status_code == 400
    assert not Campaign.objects.exists()


def test_without_redis_the_form_still_answers_with_the_images_of_earlier_campaigns(
    redis_down, tenant_admin, organizations, client_of
):
    client = client_of(tenant_admin)
    offered = "Images seen on devices whose page was read"
    assert offered not in client.get("/campaigns/new/").content.decode()
    services.create_campaign(
        user=tenant_admin, new=services.NewCampaign(organization_id=ORG_A, image_id=IMAGE)
    )
    Campaign.objects.update(image_version="3.3.1")

    response = client.get("/campaigns/new/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f"{IMAGE} · 3.3.1 · devices reported after an earlier campaign" in page
    # Under the image's field, where it is chosen, not after the whole form.
    image_field = page.index('id="id_image"')
    assert image_field < page.index(offered) < page.index('id="id_canary"')


def test_an_unreachable_control_api_starts_nothing_and_says_so(
    upstream_down, tenant_admin, organizations, client_of, start_worker
):
    campaign = services.create_campaign(
        user=tenant_admin, new=services.NewCampaign(organization_id=ORG_A, image_id=IMAGE)
    )
    client = client_of(tenant_admin)
    response = client.post(f"/campaigns/{campaign.pk}/start/", follow=True)
    assert response.status_code == 200
    start_worker()  # the worker finds the control API unreachable

    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    refused = page.split('id="start-refused">')[1].split("</div>")[0]
    assert "could not be read from the control API, so nothing was started" in refused
    assert ">Start</button>" in page and "Starting: choosing the devices" not in page
    assert "not started: The devices could not be read from the control API" in page
    campaign.refresh_from_db()
    assert campaign.state == "draft" and not CampaignDevice.objects.exists()


def test_an_uploaded_list_of_serial_numbers_narrows_the_target(fleet, tenant_admin, client_of):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("serials.csv", b"serial_number,note\nZQ-1,first\n\nZQ-2\n")
    response = client_of(tenant_admin).post(
        "/campaigns/new/", FORM | {"serials": "ZQ-3", "serials_file": upload}
    )
    assert response.status_code == 302
    assert Campaign.objects.get().serials == ["ZQ-3", "ZQ-1", "ZQ-2"]


def test_an_upload_that_is_not_text_is_refused_in_words(fleet, tenant_admin, client_of):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("serials.bin", b"\xff\xfe\x00\x81")
    response = client_of(tenant_admin).post("/campaigns/new/", FORM | {"serials_file": upload})
    assert response.status_code == 400
    assert "The file is not UTF-8 text." in response.content.decode()


def test_an_upload_holding_a_nul_is_refused_in_words(fleet, tenant_admin, client_of):
    """Valid UTF-8 but not text: PostgreSQL's JSON refused the NUL and the form answered 500."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("serials.txt", b"ZQ-1\x00\nZQ-2\n")
    response = client_of(tenant_admin).post(
        "/campaigns/new/", FORM | {"name": "Kept", "serials_file": upload}
    )
    content = response.content.decode()
    assert response.status_code == 400
    assert "The serial numbers are not text: one holds a NUL character." in content
    assert 'value="Kept"' in content
    assert not Campaign.objects.exists()


def test_the_csv_defuses_formulas_in_upstream_text(fleet, tenant_admin, client_of):
    from campaigns.models import CampaignDevice

    campaign = services.create_campaign(
        user=tenant_admin, new=services.NewCampaign(organization_id=ORG_A, image_id=IMAGE)
    )
    CampaignDevice.objects.create(
        campaign=campaign, device_id=1, device_name="=HYPERLINK(1)", wave=1,
        organization_id=ORG_A, version_before="-1.5",
    )  # fmt: skip
    csv = client_of(tenant_admin).get(f"/campaigns/{campaign.pk}/devices.csv").getvalue()
    row = csv.decode().splitlines()[1]
    assert row.startswith("1,'=HYPERLINK(1),") and ",-1.5," in row


def test_the_form_offers_the_saved_views_its_user_may_open(fleet, tenant_admin, client_of):
    from saved_views.models import SavedView

    ours = SavedView.objects.create(name="Suba gateways", organization_id=ORG_A, query={})
    theirs = SavedView.objects.create(name="Elsewhere", organization_id=11, query={})
    client = client_of(tenant_admin)
    page = client.get("/campaigns/new/").content.decode()
    assert "Suba gateways" in page and "Elsewhere" not in page

    assert client.post("/campaigns/new/", FORM | {"saved_view": str(theirs.pk)}).status_code == 400
    assert client.post("/campaigns/new/", FORM | {"saved_view": str(ours.pk)}).status_code == 302
    assert Campaign.objects.get().saved_view == ours


def test_the_list_and_the_page_name_the_target_organization(fleet, tenant_admin, client_of):
    Organization.objects.filter(upstream_id=ORG_A).update(name="Andes Fiber ISP")
    campaign = services.create_campaign(
        user=tenant_admin, new=services.NewCampaign(organization_id=ORG_A, image_id=IMAGE)
    )
    client = client_of(tenant_admin)
    listed = client.get("/campaigns/").content.decode()
    shown = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert f"Andes Fiber ISP (#{ORG_A})" in listed
    assert f'<td class="num">{ORG_A}</td>' not in listed
    assert f"Andes Fiber ISP (#{ORG_A})" in shown and f"organization {ORG_A}" not in shown


def test_starting_a_campaign_that_is_not_a_draft_names_its_state_in_words(
    fleet, tenant_admin, client_of
):
    campaign = services.create_campaign(
        user=tenant_admin, new=services.NewCampaign(organization_id=ORG_A, image_id=IMAGE)
    )
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.STOPPED)

    response = client_of(tenant_admin).post(f"/campaigns/{campaign.pk}/start/", follow=True)

    page = response.content.decode()
    assert "Only a draft starts; this campaign is stopped by its rules." in page
    assert "this campaign is stopped." not in page


@pytest.mark.parametrize(
    ("state", "change", "words"),
    [
        ("draft", "pause", "Only a campaign that is running can be paused"),
        ("finished", "resume", "Only a campaign that is paused or stopped by its rules can be"),
        ("cancelled", "cancel", "draft, running, paused or stopped by its rules can be"),
        ("running", "start", "Only a draft starts; this campaign is running."),
        ("running", "rollback", "Pause or cancel the campaign before rolling it back."),
    ],
)  # fmt: skip
def test_a_change_refused_in_its_state_is_said_and_audited(
    fleet, tenant_admin, client_of, state, change, words
):
    campaign = services.create_campaign(
        user=tenant_admin, new=services.NewCampaign(organization_id=ORG_A, image_id=IMAGE)
    )
    Campaign.objects.filter(pk=campaign.pk).update(state=state, wave=1)
    client = client_of(tenant_admin)

    for _ in range(2):  # twice: a double click, or a second tab
        response = client.post(f"/campaigns/{campaign.pk}/{change}/", {"image": "63"}, follow=True)
        assert response.status_code == 200 and words in response.content.decode()

    campaign.refresh_from_db()
    assert campaign.state == state
    refusals = AuditEntry.objects.filter(action=f"campaign_{change}")
    assert refusals.count() == 2
    for entry in refusals:
        assert (entry.username, entry.result, entry.organization_id) == (
            "tenant-admin", "failed", ORG_A,
        )  # fmt: skip
        assert words in entry.error_message and entry.parameters["campaign"] == campaign.pk


def test_a_start_the_control_api_refuses_is_audited_with_its_reason(
    upstream_down, tenant_admin, organizations, client_of, start_worker
):
    campaign = services.create_campaign(
        user=tenant_admin, new=services.NewCampaign(organization_id=ORG_A, image_id=IMAGE)
    )
    client_of(tenant_admin).post(f"/campaigns/{campaign.pk}/start/")
    start_worker()
    entry = AuditEntry.objects.get(action="campaign_start")
    assert (entry.result, entry.username) == ("failed", "tenant-admin")
    assert "could not be read from the control API" in entry.error_message


def test_an_hour_out_of_range_is_said_next_to_it_and_only_there(fleet, tenant_admin, client_of):
    response = client_of(tenant_admin).post(
        "/campaigns/new/", FORM | {"hours_from": "24", "hours_to": "3"}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_hours_from-error">Ensure this value is less than or equal to 23.' in page
    assert "Give both hours" not in page  # both were given
    assert 'value="24"' in page and 'value="3"' in page


def test_a_missing_hour_of_the_window_is_said_next_to_it(fleet, tenant_admin, client_of):
    response = client_of(tenant_admin).post("/campaigns/new/", FORM | {"hours_to": "3"})
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_hours_from-error">Give both hours of the window, or neither.' in page
    assert not Campaign.objects.exists()


def test_a_window_from_an_hour_to_the_same_hour_is_refused_next_to_it(
    fleet, tenant_admin, client_of
):
    """05:00-05:00 was taken as "any hour" while the page showed a window of no time."""
    response = client_of(tenant_admin).post(
        "/campaigns/new/", FORM | {"hours_from": "5", "hours_to": "5"}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_hours_to-error">The window ends at the hour it starts' in page
    assert not Campaign.objects.exists()


def test_a_campaign_that_reached_thousands_of_devices_can_be_rolled_back(
    fleet, tenant_admin, client_of
):
    """Its devices' serial numbers were refused as "at most 5000": no roll back at all."""
    from campaigns.models import CampaignDevice

    campaign = services.create_campaign(
        user=tenant_admin, new=services.NewCampaign(organization_id=ORG_A, image_id=IMAGE)
    )
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.STOPPED, wave=1)
    reached = 6000
    CampaignDevice.objects.bulk_create(
        CampaignDevice(campaign=campaign, device_id=n, serial_number=f"ZQ-{n}", wave=1,
                       organization_id=ORG_A, outcome="confirmed")
        for n in range(1, reached + 1)
    )  # fmt: skip

    response = client_of(tenant_admin).post(
        f"/campaigns/{campaign.pk}/rollback/", {"image": str(IMAGE - 1)}, follow=True
    )

    rollback = Campaign.objects.exclude(pk=campaign.pk).get()
    assert response.redirect_chain[-1][0] == f"/campaigns/{rollback.pk}/"
    assert len(rollback.serials) == reached and rollback.image_id == IMAGE - 1


def test_a_start_time_is_read_in_utc_as_its_label_says_whatever_zone_pages_show(
    fleet, tenant_admin, client_of, settings
):
    from datetime import UTC, datetime

    settings.DISPLAY_TIME_ZONE = "America/Bogota"  # 5 hours behind UTC
    client = client_of(tenant_admin)
    assert "Start no earlier than (optional, UTC)" in client.get("/campaigns/new/").content.decode()

    response = client.post("/campaigns/new/", FORM | {"not_before": "2030-01-31T22:00"})

    assert response.status_code == 302
    assert Campaign.objects.get().not_before == datetime(2030, 1, 31, 22, 0, tzinfo=UTC)
    page = client.get(response["Location"]).content.decode()
    assert "not before 2030-01-31 22:00 UTC" in page


def test_an_uploaded_csv_with_quoted_cells_gives_the_serial_numbers_without_quotes(
    fleet, tenant_admin, client_of
):
    """Spreadsheets may quote every cell: the quotes were kept, so no serial number matched."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "serials.csv", b'"serial_number","note"\r\n"ZQ-1","first, of two"\r\n"ZQ-2",""\r\n'
    )
    response = client_of(tenant_admin).post("/campaigns/new/", FORM | {"serials_file": upload})
    assert response.status_code == 302
    assert Campaign.objects.get().serials == ["ZQ-1", "ZQ-2"]


def test_an_uploaded_line_too_long_for_a_csv_cell_is_refused_in_words(
    fleet, tenant_admin, client_of
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("serials.csv", b"ZQ-1\n" + b"A" * 200_000 + b"\n")
    response = client_of(tenant_admin).post("/campaigns/new/", FORM | {"serials_file": upload})
    assert response.status_code == 400
    assert "Line 2 could not be read: field larger than field limit" in response.content.decode()
    assert not Campaign.objects.exists()


def _draft_page(client, serials: str) -> str:
    client.post("/campaigns/new/", {**FORM, "serials": serials})
    return client.get(f"/campaigns/{Campaign.objects.latest('pk').pk}/").content.decode()


def test_a_drafts_serial_numbers_outside_its_target_are_named_before_it_starts(
    fleet, target_devices, all_devices, tenant_admin, client_of
):
    """Before, the draft said "3 serial numbers" and only its start said which were not
    devices of the target."""
    tasks.poll_fleet.apply()  # the fleet cache the draft is checked against
    ours = target_devices(ORG_A)[0].serial_number
    other = next(d for d in all_devices() if d.organization_id != ORG_A).serial_number
    client = client_of(tenant_admin)

    page = _draft_page(client, f"{ours}\nNOT-A-SERIAL\n{other}")
    all_ours = _draft_page(client, ours)

    assert (
        "2 of its 3 serial numbers are not among this target's devices as last polled, and "
        f"would be left out: NOT-A-SERIAL, {other}." in page
    )
    assert 'id="serials-outside"' not in all_ours


def test_a_drafts_serial_numbers_wait_for_its_start_while_the_fleet_cache_is_down(
    fleet, redis_down, tenant_admin, client_of
):
    page = _draft_page(client_of(tenant_admin), "NOT-A-SERIAL")

    assert "the serial numbers are checked when it starts: the fleet cache cannot tell now" in page


def test_the_new_campaign_form_sent_twice_makes_one_draft(fleet, tenant_admin, client_of):
    """Before, Back and "Create campaign" again made a second draft of the same campaign."""
    client = client_of(tenant_admin)
    page = client.get("/campaigns/new/").content.decode()
    key = re.search(r'name="create_key" value="([^"]+)"', page).group(1)

    first = client.post("/campaigns/new/", {**FORM, "create_key": key})
    again = client.post("/campaigns/new/", {**FORM, "create_key": key}, follow=True)

    campaign = Campaign.objects.get()
    assert first["Location"] == f"/campaigns/{campaign.pk}/"
    assert again.redirect_chain[-1][0] == f"/campaigns/{campaign.pk}/"
    assert "This form was sent already" in again.content.decode()


def test_another_persons_campaign_form_key_makes_nothing(fleet, tenant_admin, noc, client_of):
    page = client_of(noc).get("/campaigns/new/").content.decode()
    key = re.search(r'name="create_key" value="([^"]+)"', page).group(1)
    client_of(noc).post("/campaigns/new/", {**FORM, "create_key": key})

    answer = client_of(tenant_admin).post("/campaigns/new/", {**FORM, "create_key": key})

    assert answer.status_code == 400
    assert Campaign.objects.count() == 1
    assert 'value="10%,50%,100%"' in answer.content.decode()  # what was typed is kept


def test_a_cancelled_campaigns_devices_not_sent_read_as_never_sent(
    fleet, target_devices, tenant_admin, client_of, monkeypatch, start_worker
):
    """Before, a cancelled campaign still listed its devices as "Not sent yet", as if they
    would be."""
    monkeypatch.setattr("campaigns.views.queue_step", lambda campaign_id: None)
    all_up(fleet, target_devices(ORG_A))
    client = client_of(tenant_admin)
    client.post("/campaigns/new/", FORM)
    campaign = Campaign.objects.get()
    running = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    client.post(f"/campaigns/{campaign.pk}/start/")
    start_worker()
    engine.advance(campaign.pk)

    client.post(f"/campaigns/{campaign.pk}/cancel/")
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()

    assert 'data-confirm="Cancel campaign' in running  # asked before it is done
    assert "Not sent: the campaign was cancelled" in page
    assert "Not sent yet" not in page
    assert "Never sent (cancelled)" in page


@pytest.mark.django_db(transaction=True)
def test_the_page_reads_its_figures_as_of_one_moment_while_the_engine_commits(
    fleet, tenant_admin, client_of, monkeypatch
):
    """A device the engine settled between the page's queries was "Sending" (Waiting) in the
    waves and "Failed" in the counts and rows of the same page."""
    from django.db import connection

    from campaigns import selectors
    from campaigns.models import CampaignDevice

    if connection.vendor != "postgresql":
        pytest.skip("SQLite pages read without a transaction (common/one_moment.py)")
    campaign = services.create_campaign(
        user=tenant_admin, new=services.NewCampaign(organization_id=ORG_A, image_id=IMAGE)
    )
    Campaign.objects.filter(pk=campaign.pk).update(state="running", wave=1, wave_sizes=[1])
    device = CampaignDevice.objects.create(
        campaign=campaign, device_id=7, wave=1, organization_id=ORG_A, outcome="sending"
    )
    progress = selectors.progress

    def engine_commits_meanwhile(campaign):
        waves = progress(campaign)
        with ThreadPoolExecutor(1) as other:  # its own connection: the engine's commit
            other.submit(settle, device.pk).result()
        return waves

    def settle(pk):
        CampaignDevice.objects.filter(pk=pk).update(outcome="failed")
        connection.close()

    monkeypatch.setattr(selectors, "progress", engine_commits_meanwhile)

    page = client_of(tenant_admin).get(f"/campaigns/{campaign.pk}/").content.decode()

    waves = page.split('aria-label="Waves"')[1].split("</table>")[0]
    devices = page.split('aria-label="Devices"')[1].split("</table>")[0]
    assert "Sending: 1" in page and "Failed: 1" not in page
    assert "<td>Sending</td>" in devices and "<td>Failed</td>" not in devices
    assert re.search(r"Canary.*?</th>\s*<td class=\"num\">1</td><td class=\"num\">0</td>", waves,
                     re.S)  # fmt: skip
    assert CampaignDevice.objects.get(pk=device.pk).outcome == "failed"


def _wave_cells(page: str, name: str) -> dict[str, int]:
    """A row of the Waves table, its figures by column heading."""
    table = page.split('aria-label="Waves"')[1].split("</table>")[0]
    headings = re.findall(r'<th scope="col">([^<]*)</th>', table)[1:9]
    row = re.search(rf'<th scope="row">{name}[^<]*</th>(.*?)</tr>', table, re.S).group(1)
    figures = map(int, re.findall(r'<td class="num">(\d+)</td>', row))
    return dict(zip(headings, figures, strict=True))


def test_an_update_the_control_api_refused_counts_as_failed_not_sent(
    fleet, target_devices, tenant_admin, client_of
):
    """Before, the Waves table read "Sent 1 … Failed 1" for a device whose update the
    control API refused (503): nothing was sent to it."""
    device = needing(target_devices(ORG_A))[0]
    all_up(fleet, [device])
    campaign = services.create_campaign(
        user=tenant_admin,
        new=services.NewCampaign(
            organization_id=ORG_A, type_id=TYPE, image_id=IMAGE, serials=(device.serial_number,)
        ),
    )
    services.start_campaign(campaign=campaign, user=tenant_admin)
    fleet.set_faults(error_rate=1.0, error_status=503, method="PATCH")

    engine.advance(campaign.pk)

    page = client_of(tenant_admin).get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "Refused: The control API failed on its side (503)" in page
    canary = _wave_cells(page, "Canary")
    assert (canary["Devices"], canary["Sent"], canary["Failed"]) == (1, 0, 1)
    assert "100 % of at most 10 %" in page  # the stop rule's share is unchanged
