"""An organization in the URL that the page will not use: said in words, in the page's layout.

NOC staff switched to one organization who open a link for another are told the switcher is
why, never that it is "not one of your organizations"; a tenant asking for someone else's
organization hears the same words whether it exists or not.
"""

import re

import pytest

from fleet import polling
from tests.fixtures.users import ORG_A, ORG_B, ORG_OTHER

NOT_YOURS = "not one of your organizations"


@pytest.fixture
def polled(model, api_factory, poll_config, still_fleet, cache_settings):
    polling.poll_fleet(model=model, api_factory=api_factory, config=poll_config, mode="full")
    return still_fleet


def switched(client, org_id):
    client.post("/organization/", {"organization": org_id})
    return client


def test_noc_switched_to_one_organization_is_told_the_switcher_hides_another(
    client_of, noc, polled
):
    client = switched(client_of(noc), ORG_B)

    content = client.get("/devices/", {"organization": ORG_A}).content.decode()

    assert NOT_YOURS not in content
    assert "You are switched to Test organization 7 (#7)" in content
    assert f"to see organization #{ORG_A}" in content


def test_a_member_switched_to_one_of_theirs_is_told_the_switcher_hides_the_other(
    client_of, viewer, polled
):
    client = switched(client_of(viewer), ORG_B)

    content = client.get("/devices/", {"organization": ORG_A}).content.decode()

    assert NOT_YOURS not in content
    assert "You are switched to Test organization 7 (#7)" in content


def test_a_tenants_export_of_another_organization_is_a_page_in_the_layout(
    client_of, tenant_admin, polled
):
    response = client_of(tenant_admin).get("/devices/export.csv", {"organization": ORG_OTHER})

    content = response.content.decode()
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert 'class="topbar"' in content  # the site's layout
    assert f"You cannot export organization #{ORG_OTHER}: it is {NOT_YOURS}." in content


def test_the_refusal_reads_the_same_for_an_organization_that_does_not_exist(
    client_of, tenant_admin, polled
):
    client = client_of(tenant_admin)

    existing = client.get("/devices/export.csv", {"organization": ORG_OTHER})
    missing = client.get("/devices/export.csv", {"organization": 99999})

    def words(response, org_id):
        # Every render masks the CSRF token afresh; everything else must be the same.
        text = re.sub(r"[A-Za-z0-9]{64}", "TOKEN", response.content.decode())
        return text.replace(f"#{org_id}", "#N")

    assert existing.status_code == missing.status_code
    assert words(existing, ORG_OTHER) == words(missing, 99999)


def test_noc_switched_to_one_organization_exporting_another_is_told_why(client_of, noc, polled):
    client = switched(client_of(noc), ORG_B)

    response = client.get("/devices/export.csv", {"organization": ORG_A})

    content = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert NOT_YOURS not in content
    assert f"You are switched to Test organization 7 (#7); to export organization #{ORG_A}" in (
        content
    )


def test_a_bad_export_filter_is_a_page_in_the_layout_too(client_of, noc, polled):
    response = client_of(noc).get("/devices/export.csv", {"status": "sideways"})

    content = response.content.decode()
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "Nothing was exported" in content and "sideways" in content


def test_without_redis_the_export_says_why_in_the_layout(client_of, noc, redis_down):
    response = client_of(noc).get("/devices/export.csv")

    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert 'class="topbar"' in response.content.decode()


def test_a_bulk_plan_for_a_hidden_organization_names_the_switcher(client_of, noc, polled):
    client = switched(client_of(noc), ORG_B)

    response = client.post(
        "/devices/bulk/",
        {"action": "reboot", "all_matching": "1", "filter": f"organization={ORG_A}"},
    )

    content = response.content.decode()
    assert NOT_YOURS not in content
    assert "You are switched to Test organization 7 (#7)" in content
