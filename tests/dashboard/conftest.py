from tests.users import (  # noqa: F401 -- fixtures, used by name
    client_of,
    nobody,
    noc,
    noc_viewer,
    operator,
    organizations,
    outsider,
    superuser,
    tenant_admin,
    viewer,
)
