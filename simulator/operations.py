"""Asynchronous device work: PATCH operation flags queued as `pending_settings`
entries that clear once the device "confirms" after the op delay, and their effects.

Entries (the `pending_settings` vocabulary of this simulator):
    reboot_scheduled:<due time>   reboot             device Down now, Up when done
    factory_reset                 factory            Down now, Up when done, debug off
    device_factory_reset          device_factory     Down now, Up when done
    sync                          sync               last_configuration when done
    reconf                        reconf             last_configuration when done
    debug:on | debug:off          debug              the debug flag when done
    firmware_update:pending       firmware_image +   software_version when done
                                  firmware_image_is_pending

An image marked bad for the device's type (state.bad_images) either never confirms
("unconfirmed": the entry stays pending) or applies and then takes the device Down
after a delay ("down": it stays Down until something sets it Up).
"""

import math

from simulator import catalog
from simulator.fleet import Device, PendingOp, iso
from simulator.state import SimulatorState

# flag -> (pending entry name, effect kind)
FLAG_OPERATIONS = {
    "reboot": ("reboot_scheduled", "reboot"),
    "factory": ("factory_reset", "factory"),
    "device_factory": ("device_factory_reset", "device_factory"),
    "sync": ("sync", "sync"),
    "reconf": ("reconf", "reconf"),
}
_RESTARTS = {"reboot", "factory", "device_factory"}


def queue(state: SimulatorState, device: Device, kind: str, argument: object = None) -> None:
    """Queue one operation on a device; it completes after the configured op delay."""
    now = state.now()
    due = now + state.settings.op_delay_seconds
    if kind == "firmware" and _bad(state, device, argument, "unconfirmed"):
        due = math.inf  # the device never confirms it
    name, value = _entry(kind, argument, due)
    # A repeated request replaces the queued one rather than stacking duplicates.
    device.pending = [op for op in device.pending if op.kind != kind]
    device.pending.append(PendingOp(name, value, due, kind, argument))
    device.last_change = now
    if kind in _RESTARTS:
        state.set_up(device, False, now)
    if kind == "firmware":
        device.firmware_image = argument
        device.firmware_image_is_pending = True
    if due != math.inf:
        state.schedule(due, "device", device.id)


def _bad(state: SimulatorState, device: Device, image_id: object, failure: str):
    """The image's BadImage when it is bad this way for the device's type, else None."""
    bad = state.bad_images.get(image_id) if isinstance(image_id, int) else None
    if bad is not None and bad.type_id == device.type_id and bad.failure == failure:
        return bad
    return None


def _entry(kind: str, argument: object, due: float) -> tuple[str, str | None]:
    if kind == "reboot":
        return "reboot_scheduled", iso(due)
    if kind == "debug":
        return "debug", "on" if argument else "off"
    if kind == "firmware":
        return "firmware_update", "pending"
    names = {k: name for name, k in FLAG_OPERATIONS.values()}
    return names[kind], None


def complete_due(state: SimulatorState) -> None:
    """Finish every queued device operation and headless operation whose time has come."""
    now = state.now()
    for due in state.pop_due(now):
        if due.kind == "device":
            device = state.devices.get(due.key)
            if device is not None:
                _complete_device_ops(state, device, now)
        elif due.kind == "headless":
            _complete_headless(state, due.key)
        elif due.kind == "firmware_down":
            device = state.devices.get(due.key)
            if device is not None:
                state.set_up(device, False, due.at)


def _complete_device_ops(state: SimulatorState, device: Device, now: float) -> None:
    done = [op for op in device.pending if op.due_at <= now]
    if not done:
        return
    device.pending = [op for op in device.pending if op.due_at > now]
    for op in done:
        _apply(state, device, op)
    state.changed()  # pending work can change a delete's answer and the page's content


def _apply(state: SimulatorState, device: Device, op: PendingOp) -> None:
    at = op.due_at
    device.last_change = at
    if op.kind in _RESTARTS:
        if device.connected_once:
            state.set_up(device, True, at)
        if op.kind == "factory":
            device.debug = False
            device.last_configuration = at
    elif op.kind in ("sync", "reconf"):
        device.last_configuration = at
    elif op.kind == "debug":
        device.debug = bool(op.argument)
    elif op.kind == "firmware":
        image = catalog.FIRMWARE_BY_ID.get(op.argument)
        if image is not None:
            device.software_version = image.version
        device.firmware_image_is_pending = False
        bad = _bad(state, device, op.argument, "down")
        if bad is not None:
            state.schedule(at + bad.down_after_seconds, "firmware_down", device.id)


def _complete_headless(state: SimulatorState, txn_id: str) -> None:
    """A headless firmware update naming a known image installs it when it runs."""
    operation = state.headless.get(txn_id)
    if operation is None:
        return
    device = state.devices.get(operation["device_id"])
    if device is None:
        return
    device.last_change = operation["scheduled_at"]
    if operation["operation_type"] == "firmware_update":
        image = catalog.FIRMWARE_BY_ID.get(operation["parameters"].get("firmware_image"))
        if image is not None:
            device.software_version = image.version
            device.firmware_image = image.id
    elif operation["operation_type"] == "configuration_update":
        device.last_configuration = operation["scheduled_at"]


def has_scheduled_headless(state: SimulatorState, device_id: int) -> bool:
    now = state.now()
    return any(
        op["device_id"] == device_id and op["scheduled_at"] > now for op in state.headless.values()
    )
