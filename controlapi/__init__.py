"""Client of the Zequenze Control API: plain Python + requests, no Django.

Use: `from controlapi import ControlAPI, errors, records` (see docs/CLIENT.md).
"""

from controlapi import errors, records
from controlapi.client import ControlAPI
from controlapi.pages import Page

__all__ = ["ControlAPI", "Page", "errors", "records"]
