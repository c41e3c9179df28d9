"""The server error page, told apart when the cause is the dashboard's own database: then
the page says so (503, try again) instead of "something went wrong", so that whoever is on
call knows where to look. Both pages stand alone: they read neither the database nor Redis."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token
from django.views.defaults import server_error as generic_server_error

# Seconds a client is asked to wait: about as long as a database restart or failover takes.
RETRY_AFTER = 30


@requires_csrf_token
def server_error(request):
    # Django calls this handler while it handles the exception, so the exception is at hand.
    error = sys.exc_info()[1]
    if _database_unavailable(error):
        page = loader.get_template("503_database.html").render()
        response = HttpResponse(page, status=503)
        response["Retry-After"] = str(RETRY_AFTER)
        return response
    return generic_server_error(request)


def _database_unavailable(error) -> bool:
    """An unreachable, restarting or overloaded database; not a query's own fault, which
    is a DatabaseError of another kind, except that SQLite calls a missing table (a
    database never migrated) operational too."""
    if not isinstance(error, OperationalError | InterfaceError):
        return False
    return not str(error).startswith(("no such table", "no such column"))
