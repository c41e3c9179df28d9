"""The /api/v1/ endpoints of the Control API, as docs/CONTROL_API.md states them.

Handlers take a `gateway.Call` and return (status, payload); errors are raised
as `errors.ApiError`.
"""

from simulator import device_operations, device_writes, headless, profiles, render
from simulator.device_query import DeviceQuery
from simulator.errors import not_found
from simulator.gateway import Call, compile_routes
from simulator.pages import page, page_window
from simulator.params import parse_bool, parse_int, parse_status, parse_timestamp

PREFIX = "/api/v1"


def _device(call: Call):
    """The device named in the path: 404 when absent, 403 outside the token."""
    try:
        device_id = int(call.params["id"])
    except ValueError:
        raise not_found() from None
    device = call.state.devices.get(device_id)
    if device is None:
        raise not_found()
    call.allow(device.organization_id)
    return device


def _refresh(call: Call, devices) -> None:
    """update_status=true: the agents of devices that are Up just answered."""
    if not call.update_status:
        return
    now = call.state.now()
    for device in devices:
        if device.up:
            device.last_connection = now


def list_devices(call: Call):
    query = call.query
    organization = parse_int("organization", query.get("organization"))
    if organization is not None:
        call.allow(organization)
    changed_from = None
    if query.get("last_status_change_from") is not None:
        changed_from = parse_timestamp("last_status_change_from", query["last_status_change_from"])
    device_query = DeviceQuery(
        status=parse_status(query.get("status")),
        type=parse_int("type", query.get("type")),
        organization=organization,
        changed_from=changed_from,
        scope=call.scope,
    )
    pending = bool(parse_bool("pending", query.get("pending")))
    settings = call.state.settings
    limit, offset = page_window(query, settings.default_limit, settings.max_limit)
    ids = call.state.filtered_ids(device_query)
    devices = [call.state.devices[i] for i in ids[offset : offset + limit]]
    _refresh(call, devices)
    items = [render.list_item(d, pending) for d in devices]
    return 200, page(items, len(ids), call.path, call.query_string, limit, offset)


def create_device(call: Call):
    # Validate first (400), then the organization (403): nothing is created on a 403.
    changes = device_writes.validate_new(call.state, call.body)
    call.allow(changes["organization_id"])
    device = device_writes.create(call.state, changes)
    return 201, render.detail(device, detailed_pending=True)


def get_device(call: Call):
    device = _device(call)
    pending = bool(parse_bool("pending", call.query.get("pending")))
    _refresh(call, [device])
    return 200, render.detail(device, pending)


def _write(call: Call, full: bool):
    device = _device(call)
    changes, ops = device_writes.validate_write(call.state, device, call.body, full=full)
    if "organization_id" in changes and changes["organization_id"] is not None:
        call.allow(changes["organization_id"])
    device_writes.apply_write(call.state, device, changes, ops)
    return 200, render.detail(device, detailed_pending=True)


def replace_device(call: Call):
    return _write(call, full=True)


def update_device(call: Call):
    return _write(call, full=False)


def delete_device(call: Call):
    device_writes.delete(call.state, _device(call))
    return 204, None


def list_profiles(call: Call):
    name = call.query.get("name")
    items = call.state.profiles
    if name:
        needle = name.casefold()
        items = [p for p in items if needle in p["name"].casefold()]
    settings = call.state.settings
    limit, offset = page_window(call.query, settings.default_limit, settings.max_limit)
    results = [profiles.list_item(p) for p in items[offset : offset + limit]]
    return 200, page(results, len(items), call.path, call.query_string, limit, offset)


def get_profile(call: Call):
    try:
        profile = call.state.profiles_by_id.get(int(call.params["id"]))
    except ValueError:
        profile = None
    if profile is None:
        raise not_found()
    return 200, profiles.detail(profile)


def update_device_operation(call: Call):
    device = _device(call)
    return 200, device_operations.update(call.state, device, call.body)


def get_headless(call: Call):
    return 200, headless.lookup(call.state, call.query.get("id"), call.allow)


def create_headless(call: Call):
    return 201, headless.create(call.state, call.body, call.allow)


ROUTES = compile_routes(
    [
        (f"{PREFIX}/inventory_device/", {"GET": list_devices, "POST": create_device}),
        (
            f"{PREFIX}/inventory_device/{{id}}/",
            {
                "GET": get_device,
                "PUT": replace_device,
                "PATCH": update_device,
                "DELETE": delete_device,
            },
        ),
        (f"{PREFIX}/inventory_connection_profile/", {"GET": list_profiles}),
        (f"{PREFIX}/inventory_connection_profile/{{id}}/", {"GET": get_profile}),
        (f"{PREFIX}/inventory_device_operation/{{id}}/", {"PUT": update_device_operation}),
        (
            f"{PREFIX}/inventory_device_serial_headless_operation/",
            {"GET": get_headless, "POST": create_headless},
        ),
    ]
)
