"""The CSV checks of bulk onboarding, one rule each (operations.onboarding.check_file)."""

import csv
import io

import pytest
import redis

from accounts.models import Role
from operations import onboarding
from tests.fixtures.users import make_user

pytestmark = pytest.mark.django_db

GOOD = {"name": "cpe-1", "serial_number": "IMP-0001", "type": "12", "organization_id": "5"}


def csv_bytes(rows, columns=None):
    columns = columns or list(rows[0])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def no_fleet(serials):
    return {}


def check(user, rows, columns=None, fleet=no_fleet):
    return onboarding.check_file(csv_bytes(rows, columns), user=user, fleet_serials=fleet)


def only_errors(result):
    assert len(result.rows) == 1
    return result.rows[0].errors


def test_a_good_row_is_valid_and_sends_typed_fields(noc):
    result = check(
        noc, [{**GOOD, "latitude": "38.5", "longitude": "-9.1", "update_frequency": "300"}]
    )
    row = result.rows[0]
    assert row.valid and result.startable
    assert row.fields == {**GOOD, "type": 12, "organization_id": 5, "latitude": "38.5",
                          "longitude": "-9.1", "update_frequency": 300}  # fmt: skip


@pytest.mark.parametrize(
    ("given", "missing"), [("latitude", "longitude"), ("longitude", "latitude")]
)
def test_half_a_location_is_refused(noc, given, missing):
    """The device was created with a latitude alone, and its page said "Coordinates: not set"."""
    errors = only_errors(check(noc, [{**GOOD, given: "4.5"}]))
    assert errors == [f"{missing}: required with {given}: a location needs both, or neither."]


@pytest.mark.parametrize("column", ["name", "serial_number", "type", "organization_id"])
def test_each_required_field_must_have_a_value(noc, column):
    assert only_errors(check(noc, [{**GOOD, column: ""}])) == [f"{column}: required."]


@pytest.mark.parametrize("column", ["type", "organization_id", "update_frequency"])
@pytest.mark.parametrize("value", ["twelve", "1.5", "0", "-3"])
def test_whole_number_fields_refuse_other_values(noc, column, value):
    errors = only_errors(check(noc, [{**GOOD, column: value}]))
    assert errors == [f"{column}: must be a whole number of at least 1, not {value!r}."]


@pytest.mark.parametrize(
    ("column", "value"),
    [("latitude", "90.0001"), ("latitude", "-91"), ("longitude", "180.5"), ("longitude", "-181")],
)
def test_coordinates_out_of_range_are_refused(noc, column, value):
    errors = only_errors(check(noc, [{**GOOD, column: value}]))
    assert len(errors) == 1 and errors[0].startswith(f"{column}: must be between")


@pytest.mark.parametrize("value", ["north", "NaN", "1e400x"])
def test_coordinates_must_be_decimals(noc, value):
    errors = only_errors(check(noc, [{**GOOD, "latitude": value}]))
    assert errors == [f"latitude: must be a decimal number, not {value!r}."]


def test_coordinates_at_the_limits_are_accepted(noc):
    result = check(noc, [{**GOOD, "latitude": "-90", "longitude": "180"}])
    assert result.rows[0].fields["latitude"] == "-90"
    assert result.rows[0].fields["longitude"] == "180"


def test_a_serial_twice_in_the_file_refuses_both_rows(noc):
    rows = [GOOD, {**GOOD, "name": "cpe-2"}, {**GOOD, "name": "cpe-3", "serial_number": "X"}]
    result = check(noc, rows)
    assert result.rows[0].errors == ["serial_number: IMP-0001 is also on line 3."]
    assert result.rows[1].errors == ["serial_number: IMP-0001 is also on line 2."]
    assert result.rows[2].valid


def test_a_serial_already_in_the_fleet_is_refused(noc):
    result = check(noc, [GOOD], fleet=lambda serials: {"IMP-0001": 1234})
    assert result.rows[0].errors == [
        "serial_number: IMP-0001 is already in the fleet (device 1234)."
    ]


def test_serials_are_looked_up_in_the_cached_fleet(noc, cached_fleet, fleet_devices):
    taken = fleet_devices[3]
    rows = [{**GOOD, "serial_number": taken.serial_number}, GOOD]
    result = onboarding.check_file(csv_bytes(rows), user=noc)
    assert result.rows[0].errors == [
        f"serial_number: {taken.serial_number} is already in the fleet (device {taken.id})."
    ]
    assert result.rows[1].valid


def test_a_tenant_is_not_told_the_id_of_a_device_already_in_the_inventory(
    tenant_admin, cached_fleet, fleet_devices
):
    # The serial may be another organization's device: the control API refuses it all the
    # same, but its id is not the tenant's to learn.
    taken = next(d for d in fleet_devices if d.organization_id == 11)
    result = onboarding.check_file(
        csv_bytes([{**GOOD, "serial_number": taken.serial_number}]), user=tenant_admin
    )
    assert result.rows[0].errors == [
        f"serial_number: {taken.serial_number} is already in the inventory."
    ]


def test_before_the_first_poll_serials_are_said_to_be_unchecked(noc, upstream):
    result = onboarding.check_file(csv_bytes([GOOD]), user=noc)
    assert result.rows[0].valid
    assert result.notes == [
        "The fleet cache is still being filled: serial numbers were not checked against the "
        "fleet. The control API refuses a serial it already has."
    ]


def test_an_unreachable_cache_is_said_and_does_not_block(noc):
    def down(serials):
        raise redis.ConnectionError("refused")

    result = check(noc, [GOOD], fleet=down)
    assert result.rows[0].valid and result.startable
    assert "serial numbers were not checked against the fleet" in result.notes[0]


def test_a_tenant_row_for_another_organization_is_refused(tenant_admin):
    rows = [GOOD, {**GOOD, "serial_number": "IMP-0002", "organization_id": "11"}]
    result = check(tenant_admin, rows)
    assert result.rows[0].valid
    assert result.rows[1].errors == [
        "organization_id: you may not create devices in organization 11; "
        "use one of your organizations."
    ]


def test_unknown_columns_are_named_and_block_the_file(noc):
    result = check(noc, [{**GOOD, "latitud": "1", "colour": "red"}])
    assert not result.startable
    assert result.problems[0].startswith("Unknown columns: 'latitud', 'colour'.")


def test_header_cells_without_a_name_are_said_by_their_position(noc):
    """A spreadsheet saved with a column once used leaves a comma at each line's end."""
    data = b"name,serial_number,type,organization_id,,\ncpe-1,IMP-0001,12,5,,\n"
    result = onboarding.check_file(data, user=noc, fleet_serials=no_fleet)
    assert result.problems == [
        "Columns 5, 6 have no name in the header line: name them, or delete them "
        "(with their cells) if they are empty."
    ]


def test_a_missing_required_column_blocks_the_file(noc):
    row = {k: v for k, v in GOOD.items() if k != "type"}
    result = check(noc, [row])
    assert result.problems == ["Missing required column(s): type."]


@pytest.mark.parametrize("header", ["foo,bar", "name,serial_number,organization_id"])
def test_every_row_of_a_file_missing_a_required_column_is_invalid(noc, header):
    data = f"{header}\ncpe-1,IMP-0001,5\n".encode()
    result = onboarding.check_file(data, user=noc, fleet_serials=no_fleet)
    assert not result.startable and result.valid_rows == []
    assert "type: required; the file has no type column." in only_errors(result)


@pytest.mark.parametrize(("separator", "words"), [(";", "semicolons"), ("\t", "tabs")])
def test_a_file_not_separated_by_commas_is_refused_in_words(noc, separator, words):
    data = f"{separator.join(GOOD)}\n{separator.join(GOOD.values())}\n".encode()
    result = onboarding.check_file(data, user=noc, fleet_serials=no_fleet)
    assert result.problems == [
        f"The columns are separated by {words}: the file must be comma-separated. "
        "Save it as CSV (UTF-8, comma-delimited), as the template."
    ]
    assert result.rows == [] and not result.startable


def test_a_file_that_is_not_utf8_is_refused_in_words(noc):
    result = onboarding.check_file("name\nZürich".encode("latin-1"), user=noc)
    assert result.problems == ["The file is not UTF-8 text: save it as CSV (UTF-8)."]


def test_an_empty_file_is_refused_in_words(noc):
    assert onboarding.check_file(b"", user=noc).problems == [
        "The file is empty: the first line must be the header."
    ]


def test_a_header_without_rows_is_refused(noc):
    data = ",".join(onboarding.COLUMNS).encode()
    assert onboarding.check_file(data, user=noc).problems == ["The file has a header but no rows."]


def test_too_many_cells_in_a_row_are_refused(noc):
    data = b"name,serial_number,type,organization_id\ncpe,S1,12,5,extra\n"
    errors = only_errors(onboarding.check_file(data, user=noc, fleet_serials=no_fleet))
    assert errors == ["5 cells but 4 columns: check the commas."]


def test_a_line_break_inside_a_cell_is_refused(noc):
    errors = only_errors(check(noc, [{**GOOD, "description": "two\nlines"}]))
    assert errors == ["description: must not contain a line break or a tab."]


def test_the_password_is_kept_apart_from_what_is_shown(noc):
    row = check(noc, [{**GOOD, "password": "s3cret"}]).rows[0]
    assert row.password == "s3cret"
    assert "password" not in row.raw and "password" not in row.fields


def test_a_byte_order_mark_is_ignored(noc):
    data = b"\xef\xbb\xbf" + csv_bytes([GOOD])
    assert onboarding.check_file(data, user=noc, fleet_serials=no_fleet).rows[0].valid


def test_the_template_has_every_column_and_a_valid_example(noc):
    result = onboarding.check_file(
        onboarding.template_csv().encode(), user=noc, fleet_serials=no_fleet
    )
    assert result.columns == list(onboarding.COLUMNS)
    assert len(result.rows) == 1 and result.rows[0].valid


def test_a_row_for_an_organization_the_dashboard_does_not_know_is_invalid(noc):
    rows = [GOOD, {**GOOD, "serial_number": "IMP-0002", "organization_id": "99"}]
    result = check(noc, rows)
    assert result.rows[0].valid
    assert result.rows[1].errors == [
        "organization_id: organization 99 is not known to the dashboard; check the id."
    ]


def test_a_tenant_row_for_an_organization_the_dashboard_does_not_know_reveals_nothing(
    tenant_admin,
):
    result = check(tenant_admin, [{**GOOD, "organization_id": "99"}])
    assert result.rows[0].errors == [
        "organization_id: you may not create devices in organization 99; "
        "use one of your organizations."
    ]


def test_a_row_for_an_organization_where_the_user_only_views_is_invalid(organizations):
    user = make_user("mixed", memberships=[(5, Role.ADMIN), (7, Role.VIEWER)])
    result = check(user, [{**GOOD, "organization_id": "7"}])
    assert result.rows[0].errors == [
        "organization_id: you may not create devices in organization 7; "
        "use one of your organizations."
    ]


@pytest.mark.parametrize("value", ["²", "٣", "５"])
def test_digits_of_other_scripts_are_not_whole_numbers(noc, value):
    errors = only_errors(check(noc, [{**GOOD, "type": value}]))
    assert errors == [f"type: must be a whole number of at least 1, not {value!r}."]


@pytest.mark.parametrize("column", ["type", "organization_id", "update_frequency"])
def test_whole_numbers_too_large_for_the_dashboard_are_refused(noc, column):
    value = "123456789012345678901234567890"
    errors = only_errors(check(noc, [{**GOOD, column: value}]))
    assert errors == [f"{column}: must be at most 2147483647, not {value!r}."]
