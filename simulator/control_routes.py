"""The /_sim/ control endpoints: reset, resize, device status, request log, faults,
bad firmware images, clock advance and settings. They take their own bearer token
(default "sim-control") and are neither logged nor subject to faults.
"""

import json
import math
from dataclasses import asdict, fields

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator import catalog, errors, operations
from simulator.errors import ApiError
from simulator.faults import FaultConfigError, parse_config
from simulator.gateway import json_response
from simulator.state import BAD_IMAGE_FAILURES, BadImage, Settings

MAX_DEVICES = 1_000_000


async def _call(request: Request, handler) -> Response:
    sim = request.app.state.sim
    try:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if not header:
            raise errors.not_authenticated()
        if scheme.lower() != "bearer" or token.strip() != sim.control_token:
            raise errors.bad_token()
        raw = await request.body()
        body = {}
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError as error:
                raise errors.field_error(
                    "non_field_errors", f"JSON parse error - {error}"
                ) from None
            if not isinstance(body, dict):
                raise errors.field_error("non_field_errors", "Expected a JSON object.")
        operations.complete_due(sim.state)
        status, payload = handler(sim, request, body)
        return json_response(status, payload)
    except ApiError as error:
        return json_response(error.status, error.body, error.headers or None)


def _device_count(body: dict, required: bool) -> int | None:
    value = body.get("devices")
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DEVICES:
        raise errors.field_error("devices", f"A whole number between 0 and {MAX_DEVICES}.")
    return value


def reset(sim, request, body):
    """Back to the seed state; also clears faults, the request log and settings."""
    sim.state.reset(_device_count(body, required=False))
    sim.faults.clear()
    sim.log.clear()
    return 200, {"devices": len(sim.state.devices), "seed": sim.state.seed}


def resize(sim, request, body):
    sim.state.resize(_device_count(body, required=True))
    return 200, {"devices": len(sim.state.devices), "seed": sim.state.seed}


def _device(sim, request):
    """The device named by the path, or the API's 404."""
    try:
        device = sim.state.devices.get(int(request.path_params["device_id"]))
    except ValueError:
        device = None
    if device is None:
        raise errors.not_found()
    return device


def set_status(sim, request, body):
    device = _device(sim, request)
    if not isinstance(body.get("up"), bool):
        raise errors.field_error("up", "Must be a valid boolean.")
    sim.state.set_up(device, body["up"], sim.state.now())
    return 200, {"id": device.id, "status": "Up" if device.up else "Down"}


def answered_fields(sim, request, body):
    """Make the device's records carry these values as they are (no check at all), as an
    upstream that stored them unchecked would: e.g. a 30-digit `type`."""
    device = _device(sim, request)
    fields = body.get("fields")
    if not isinstance(fields, dict) or "id" in fields:
        raise errors.field_error("fields", "An object of device fields (not the id).")
    device.answered = {**device.answered, **fields}
    return 200, {"id": device.id, "fields": device.answered}


def profile_fields(sim, request, body):
    """Make a connection profile's records carry these values (list and detail alike),
    e.g. a health_status that says it is failing."""
    try:
        profile = sim.state.profiles_by_id.get(int(request.path_params["profile_id"]))
    except ValueError:
        profile = None
    if profile is None:
        raise errors.not_found()
    fields = body.get("fields")
    if not isinstance(fields, dict) or "id" in fields:
        raise errors.field_error("fields", "An object of profile fields (not the id).")
    profile.update(fields)
    return 200, {"id": profile["id"], "fields": fields}


def request_log(sim, request, body):
    query = request.query_params
    try:
        last = int(query.get("last", "100"))
    except ValueError:
        raise errors.field_error("last", "A valid integer is required.") from None
    snapshot = sim.log.snapshot(max(last, 0))
    if request.method == "DELETE" or query.get("clear") in ("1", "true", "True"):
        sim.log.clear()
    return 200, snapshot


def organizations(sim, request, body):
    return 200, {"results": sim.state.organizations_summary()}


def device_catalog(sim, request, body):
    """Device types with their firmware images, for demos and tests that schedule updates
    (the reference has no endpoint for firmware images)."""
    types = [
        {
            "id": t.id,
            "type_short_name": t.short_name,
            "product_class": t.product_class,
            "manufacturer": t.manufacturer,
            "firmware_images": [{"id": i.id, "version": i.version} for i in t.firmware],
        }
        for t in catalog.DEVICE_TYPES
    ]
    return 200, {"device_types": types}


def bad_image(sim, request, body):
    """Mark a firmware image bad for a device type (POST), or good again (DELETE)."""
    try:
        image_id = int(request.path_params["image_id"])
    except ValueError:
        image_id = None
    if image_id not in catalog.FIRMWARE_BY_ID:
        raise errors.not_found()
    if request.method == "DELETE":
        sim.state.bad_images.pop(image_id, None)
        return 200, {"image": image_id, "bad": None}
    type_id = body.get("type", catalog.FIRMWARE_TYPE_BY_ID[image_id])
    failure = body.get("failure", "unconfirmed")
    delay = body.get("down_after_seconds", 60)
    problems = {}
    if isinstance(type_id, bool) or type_id not in catalog.DEVICE_TYPES_BY_ID:
        problems["type"] = ["A device type id of the catalogue."]
    if failure not in BAD_IMAGE_FAILURES:
        problems["failure"] = [f"One of {', '.join(BAD_IMAGE_FAILURES)}."]
    if not _number(delay) or delay < 0:
        problems["down_after_seconds"] = ["A number of seconds, zero or more."]
    if problems:
        raise errors.bad_request(problems)
    bad = BadImage(type_id, failure, float(delay))
    sim.state.bad_images[image_id] = bad
    return 200, {"image": image_id, "bad": asdict(bad)}


def faults(sim, request, body):
    now = sim.state.now()
    if request.method == "POST":
        try:
            sim.faults.set(parse_config(body), now)
        except FaultConfigError as error:
            raise errors.bad_request(error.errors) from None
    elif request.method == "DELETE":
        sim.faults.clear()
    return 200, sim.faults.describe(now)


def advance(sim, request, body):
    """Move the simulated clock forward and let life and queued work catch up."""
    seconds = body.get("seconds", 0)
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
        raise errors.field_error("seconds", "A number of seconds, zero or more.")
    sim.state.clock_offset += seconds
    operations.complete_due(sim.state)
    summary = sim.state.life.advance()
    return 200, summary


def _settings_dict(settings: Settings) -> dict:
    data = asdict(settings)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


def settings(sim, request, body):
    if request.method == "POST":
        sim.state.settings = sim.state.settings.updated(_parse_settings(body))
    return 200, _settings_dict(sim.state.settings)


def _parse_settings(body: dict) -> dict:
    known = {f.name: f for f in fields(Settings)}
    problems: dict[str, list[str]] = {}
    changes = {}
    for name, value in body.items():
        if name not in known:
            problems[name] = ["Unknown setting."]
        elif name in ("recovery_seconds", "flap_seconds"):
            if (
                not isinstance(value, list)
                or len(value) != 2
                or not all(_number(v) and v > 0 for v in value)
                or value[0] > value[1]
            ):
                problems[name] = ["A [low, high] pair of positive seconds."]
            else:
                changes[name] = (float(value[0]), float(value[1]))
        elif name in ("default_limit", "max_limit"):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                problems[name] = ["A whole number, at least 1."]
            else:
                changes[name] = value
        elif not _number(value) or value < 0:
            problems[name] = ["A number, zero or more."]
        else:
            changes[name] = float(value)
    if problems:
        raise errors.bad_request(problems)
    return changes


def _number(value) -> bool:
    # Python's JSON reads NaN and Infinity: a moment that far or that undefined never comes.
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _route(path: str, handler, methods: list[str]) -> Route:
    async def endpoint(request: Request) -> Response:
        return await _call(request, handler)

    return Route(path, endpoint, methods=methods)


async def health(request: Request) -> Response:
    return json_response(200, {"ok": True})


ROUTES = [
    Route("/_sim/health", health, methods=["GET"]),
    _route("/_sim/reset", reset, ["POST"]),
    _route("/_sim/resize", resize, ["POST"]),
    _route("/_sim/devices/{device_id}/status", set_status, ["POST"]),
    _route("/_sim/devices/{device_id}/fields", answered_fields, ["POST"]),
    _route("/_sim/profiles/{profile_id}/fields", profile_fields, ["POST"]),
    _route("/_sim/requests", request_log, ["GET", "DELETE"]),
    _route("/_sim/organizations", organizations, ["GET"]),
    _route("/_sim/catalog", device_catalog, ["GET"]),
    _route("/_sim/firmware/{image_id}/bad", bad_image, ["POST", "DELETE"]),
    _route("/_sim/faults", faults, ["GET", "POST", "DELETE"]),
    _route("/_sim/advance", advance, ["POST"]),
    _route("/_sim/settings", settings, ["GET", "POST"]),
]
