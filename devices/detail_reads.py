"""Former home of one device's read path, now `devices.selectors` (`device_for_user`,
`device_detail`, `fetch_device`, `forget_device`, `DeviceUnavailable`).

Only these aliases remain, for the modules that still import this one
(devices.services, edit_views, action_views, maintenance_views); delete the module
once they import devices.selectors. No logic lives here.
"""

from devices.polling import RefreshTimeout
from devices.selectors import DeviceDetail as DeviceRead
from devices.selectors import DeviceUnavailable, device_for_user
from devices.selectors import fetch_device as fetch
from devices.selectors import forget_device as forget

__all__ = [
    "DeviceRead", "DeviceUnavailable", "RefreshTimeout", "device_for_user", "fetch", "forget",
]  # fmt: skip
