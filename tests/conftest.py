"""Fixtures every test folder may ask for by name, registered as plugins: the simulator,
Redis (only for the tests that ask for it), users and roles, the fleet, operations, and
Celery processes on a throwaway broker, and an HTTP receiver of webhooks."""

pytest_plugins = [
    "tests.fixtures.simulator",
    "tests.fixtures.redis",
    "tests.fixtures.users",
    "tests.fixtures.fleet",
    "tests.fixtures.operations",
    "tests.fixtures.workers",
    "tests.fixtures.sentinel",
    "tests.fixtures.receivers",
]
