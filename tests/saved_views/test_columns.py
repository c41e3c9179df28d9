"""The list's columns: chosen in the URL (`columns=`), canonical in the parser, shown in
the table, kept by a saved view."""

import csv
import io
import re
from datetime import UTC, datetime

from django.http import QueryDict

from accounts.tenancy import EVERYTHING
from devices import list_filters
from devices.export import HEADER
from saved_views.models import SavedView

NOW = datetime(2026, 12, 5, tzinfo=UTC)


def headings(response) -> list[str]:
    thead = re.search(r"<thead>(.*?)</thead>", response.content.decode(), re.S).group(1)
    return re.findall(r'<th scope="col" class="(col-\w+)"', thead)


def first_row_cells(response) -> list[str]:
    row = re.search(r'<tr class="fleet-row".*?</tr>', response.content.decode(), re.S).group(0)
    return re.findall(r'<td class="[^"]*\b(col-\w+)"', row)


def test_every_column_is_the_default_and_not_written_in_the_url():
    filters = list_filters.parse({}, scope=EVERYTHING, now=NOW)

    assert filters.columns == list_filters.COLUMN_KEYS
    assert "columns" not in filters.params()


def test_columns_round_trip_through_the_canonical_query():
    filters = list_filters.parse({"columns": "serial, STATUS,serial"}, scope=EVERYTHING, now=NOW)

    # In the table's order, the name always among them, each once.
    assert filters.columns == ("status", "name", "serial")
    assert filters.params() == {"columns": "status,name,serial"}
    again = list_filters.parse(filters.params(), scope=EVERYTHING, now=NOW)
    assert again.columns == filters.columns


def test_the_forms_ticked_boxes_are_read_like_the_links_list():
    ticked = QueryDict("columns=name&columns=serial&columns=pending")

    assert list_filters.parse(ticked, scope=EVERYTHING, now=NOW).columns == (
        "name", "serial", "pending",
    )  # fmt: skip


def test_an_unknown_column_is_named_and_left_out():
    filters = list_filters.parse({"columns": "serial,colour"}, scope=EVERYTHING, now=NOW)

    assert filters.columns == ("name", "serial")
    assert any("“colour”" in e for e in filters.errors)


def test_only_unknown_columns_are_named_and_the_default_columns_shown(client_of, noc, polled):
    client = client_of(noc)
    response = client.get("/devices/", {"columns": "nonsense,foo"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "No column is called “foo”, “nonsense”" in page
    assert headings(response) == headings(client.get("/devices/"))
    assert len(headings(response)) == len(list_filters.COLUMN_KEYS)
    assert "columns" not in response.context["filters"].params()


def test_the_table_shows_only_the_chosen_columns(client_of, noc, polled):
    response = client_of(noc).get("/devices/", {"columns": "status,name,serial"})

    assert headings(response) == ["col-status", "col-name", "col-serial"]
    assert first_row_cells(response) == ["col-status", "col-name", "col-serial"]


def test_the_columns_control_ticks_the_shown_columns(client_of, noc, polled):
    page = client_of(noc).get("/devices/", {"columns": "status,name"}).content.decode()

    assert '<input type="checkbox" name="columns" value="status" checked>' in page
    assert '<input type="checkbox" name="columns" value="serial">' in page


def test_sort_and_page_links_keep_the_columns(client_of, noc, polled):
    response = client_of(noc).get("/devices/", {"columns": "name,serial", "per_page": "25"})

    assert "columns=name%2Cserial" in response.context["next_url"]
    assert all("columns=name%2Cserial" in link["url"] for c in response.context["header"]
               for link in c["links"])  # fmt: skip


def test_a_saved_view_keeps_its_columns(client_of, admin_a, polled):
    client = client_of(admin_a)
    client.post("/views/new/", {"name": "Narrow", "query": "columns=name&columns=serial"})
    view = SavedView.objects.get(name="Narrow")

    response = client.get(f"/views/{view.pk}/")

    assert view.query == {"columns": "name,serial"}
    assert headings(response) == ["col-name", "col-serial"]


def exported(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_the_export_follows_the_chosen_columns(client_of, noc, polled, all_devices):
    page = client_of(noc).get("/devices/", {"columns": "name,serial,organization"})
    export = page.context["export_url"]

    rows = exported(client_of(noc).get(export))

    assert "columns=name%2Cserial%2Corganization" in export
    assert list(rows[0]) == ["id", "name", "serial_number", "organization_id", "organization_name"]
    assert {int(r["id"]) for r in rows} == {d.id for d in all_devices()}


def test_the_export_of_every_column_keeps_every_field(client_of, noc, polled):
    rows = exported(client_of(noc).get("/devices/export.csv", {"status": "down"}))

    assert list(rows[0]) == HEADER
