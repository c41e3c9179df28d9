"""Client of the Zequenze Control API: plain Python + requests, no Django.

    from controlapi import ControlAPI, errors, records
"""

from controlapi import errors, records
from controlapi.client import ControlAPI
from controlapi.pages import Page

__all__ = ["ControlAPI", "Page", "errors", "records"]
