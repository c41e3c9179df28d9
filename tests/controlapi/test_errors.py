"""The status -> error table and the wording operators read (pure, no I/O)."""

import pickle

import pytest

from controlapi import errors


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, errors.ValidationFailed),
        (401, errors.Unauthorized),
        (403, errors.Forbidden),
        (404, errors.NotFound),
        (409, errors.Conflict),
        (429, errors.RateLimited),
        (500, errors.UpstreamError),
        (502, errors.UpstreamError),
        (503, errors.UpstreamError),
        (504, errors.UpstreamError),
        (418, errors.ControlAPIError),
    ],
)
def test_each_status_maps_to_its_error(status, cls):
    error = errors.error_from_response("GET", "/inventory_device/", status, None)
    assert type(error) is cls and isinstance(error, errors.ControlAPIError)
    assert error.status == status


def test_message_names_what_failed_with_method_path_and_status():
    error = errors.error_from_response(
        "GET", "/inventory_device/", 401, {"detail": "Invalid token."}
    )
    assert str(error) == (
        "The control API refused the token (401) for GET /inventory_device/: Invalid token."
    )


def test_field_errors_keep_every_field_and_non_field_errors():
    payload = {
        "serial_number": ["device with this serial number already exists."],
        "name": "This field is required.",
        "non_field_errors": ["Latitude and longitude go together."],
    }
    error = errors.error_from_response("POST", "/inventory_device/", 400, payload)
    assert error.field_errors == {
        "serial_number": ["device with this serial number already exists."],
        "name": ["This field is required."],
        "non_field_errors": ["Latitude and longitude go together."],
    }
    assert "serial_number: device with this serial number already exists." in str(error)
    assert "POST /inventory_device/" in str(error)


@pytest.mark.parametrize(
    "payload", [{"detail": "Unknown operation."}, ["Unknown operation."], "Unknown operation."]
)
def test_a_400_without_fields_goes_to_non_field_errors(payload):
    error = errors.error_from_response("PATCH", "/inventory_device/1/", 400, payload)
    assert error.field_errors == {"non_field_errors": ["Unknown operation."]}


def test_rate_limit_tells_how_long_to_wait():
    error = errors.error_from_response("GET", "/inventory_device/", 429, None, retry_after=5.0)
    assert error.retry_after == 5.0
    assert "wait 5 s" in str(error)


def test_upstream_text_is_scrubbed_and_cut():
    payload = {"detail": "token abc-secret rejected " + "x" * 1000}
    error = errors.error_from_response(
        "GET", "/x/", 403, payload, scrub=lambda text: text.replace("abc-secret", "[redacted]")
    )
    assert "abc-secret" not in str(error) and "[redacted]" in str(error)
    assert len(str(error)) < 400


def test_html_error_page_is_not_shown():
    error = errors.error_from_response("GET", "/inventory_device/", 502, None)
    assert str(error) == "The control API failed on its side (502) for GET /inventory_device/"


@pytest.mark.parametrize("maybe_sent", [True, False])
def test_unavailable_says_whether_a_write_may_have_happened(maybe_sent):
    error = errors.Unavailable("PATCH", "/inventory_device/1/", maybe_sent=maybe_sent)
    assert ("may or may not have been applied" in str(error)) is maybe_sent


@pytest.mark.parametrize(
    "error",
    [
        errors.error_from_response("POST", "/inventory_device/", 400, {"name": ["required"]}),
        errors.error_from_response("DELETE", "/inventory_device/1/", 409, {"detail": "busy"}),
        errors.error_from_response("GET", "/inventory_device/", 429, None, retry_after=2.0),
        errors.Unavailable("PATCH", "/inventory_device/1/", None, None, True),
        errors.BadResponse("GET", "/inventory_device/", 200, "not JSON"),
        errors.UnreadableAnswer("PATCH", "/inventory_device/1/", 200, "not JSON"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_errors_survive_pickle_and_rebuild_from_args(error):
    for again in (pickle.loads(pickle.dumps(error)), type(error)(*error.args)):
        assert type(again) is type(error)
        assert str(again) == str(error)
        assert vars(again) == vars(error)
