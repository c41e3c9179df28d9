"""The one place that builds the control API client from settings.

Services and pollers call `control_api()`; nothing else reads the upstream URL
or token. Views never call it: they read the read model.
"""

from django.conf import settings

from controlapi import ControlAPI
from devices.upstream_calls import upstream_calls


def control_api(**overrides):
    """A new `controlapi.ControlAPI` for the configured upstream (use it as a context manager).

    `overrides` go to the client (e.g. a shorter `timeout` for an interactive action).
    """
    options = {
        "timeout": (settings.CONTROL_API_CONNECT_TIMEOUT, settings.CONTROL_API_READ_TIMEOUT),
        # Every call is counted for /metrics (noc_upstream_calls_total).
        "observer": upstream_calls,
        **overrides,
    }
    return ControlAPI(settings.CONTROL_API_URL, settings.CONTROL_API_TOKEN, **options)
