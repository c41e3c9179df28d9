"""Every change to a saved view is in the audit trail once, with the view and its
organization."""

from accounts.models import AuditEntry
from saved_views.models import SavedView
from tests.saved_views.conftest import ORG_SHARED


def entries(action):
    return list(AuditEntry.objects.filter(action=action))


def test_saving_a_shared_view_is_audited_under_its_organization(client_of, admin_a, polled):
    client_of(admin_a).post("/views/new/", {
        "name": "Shared", "share": str(ORG_SHARED), "query": "status=down", "pin": "on",
    })  # fmt: skip

    view = SavedView.objects.get(name="Shared")
    [entry] = entries("saved_view_create")
    assert entry.username == "admin-a"
    assert entry.organization_id == ORG_SHARED
    assert entry.parameters["view"] == view.pk
    assert entry.parameters["query"] == {"status": "down"}
    assert len(entries("saved_view_pin")) == 1


def test_rename_delete_default_pin_and_unpin_are_audited(client_of, admin_a, shared_view):
    client = client_of(admin_a)
    pk = shared_view.pk

    client.post(f"/views/{pk}/rename/", {f"view{pk}-name": "Renamed"})
    client.post(f"/views/{pk}/default/")
    client.post("/views/default/clear/")
    client.post(f"/views/{pk}/pin/")
    client.post(f"/views/{pk}/pin/")  # already pinned: nothing changes, nothing recorded
    client.post(f"/views/{pk}/unpin/")
    client.post(f"/views/{pk}/delete/")

    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == [
        "saved_view_rename", "saved_view_default", "saved_view_default_clear",
        "saved_view_pin", "saved_view_unpin", "saved_view_delete",
    ]  # fmt: skip
    assert entries("saved_view_rename")[0].parameters["previous_name"] == "Down everywhere"
    assert {e.organization_id for e in AuditEntry.objects.all()} == {ORG_SHARED}


def test_a_refused_change_leaves_no_entry(client_of, member_b, shared_view):
    client_of(member_b).post(f"/views/{shared_view.pk}/delete/")

    assert not AuditEntry.objects.filter(action__startswith="saved_view").exists()
