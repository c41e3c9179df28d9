"""python manage.py demo_setup: the demo's organizations and four demo users.

Reads the organizations (ids and names) from the simulator's control endpoint
and prints a fresh password for each demo user. Re-running it resets the
passwords and the demo users' roles; nothing else is touched.
"""

import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.membership import grant
from accounts.models import Membership, NocRole, Organization, Role

# The ids the reference pages use in their examples; the simulator has them too.
FALLBACK_ORGANIZATION_IDS = (5, 7)


def simulator_base_url(api_url: str) -> str:
    """http://host:port/api/v1 -> http://host:port, where the simulator's control endpoints are."""
    parts = urlsplit(api_url)
    path = parts.path.rstrip("/")
    if path.endswith("/api/v1"):
        path = path[: -len("/api/v1")]
    return parts._replace(path=path, query="", fragment="").geturl().rstrip("/")


def fetch_organizations(base_url: str, token: str) -> dict[int, str]:
    """{id: name} from the simulator's GET /_sim/organizations; raises on any failure."""
    # Demo tooling only: the dashboard proper never talks to the simulator's control side.
    from simulator.control import SimulatorControl

    control = SimulatorControl(base_url, token, timeout=10)
    try:
        organizations = {int(item["id"]): str(item["name"]) for item in control.organizations()}
    finally:
        control.close()
    if not organizations:
        raise ValueError("the simulator listed no organizations")
    return organizations


def demo_users(org_ids: list[int]) -> list[dict]:
    """Who gets what: the first organization is the tenant's, the second another's."""
    first = org_ids[0]
    second = org_ids[1] if len(org_ids) > 1 else first
    return [
        {"username": "noc", "noc": True, "role": Role.ADMIN, "orgs": []},
        {"username": "tenant-admin", "noc": False, "role": Role.ADMIN, "orgs": [first]},
        {"username": "operator", "noc": False, "role": Role.OPERATOR, "orgs": [first, second]},
        {"username": "viewer", "noc": False, "role": Role.VIEWER, "orgs": [second]},
        # A NOC-wide wall screen's account: sees every organization, does nothing (/wall/).
        {"username": "wall", "noc": True, "role": Role.DISPLAY, "orgs": []},
    ]


class Command(BaseCommand):
    help = "Create the demo organizations and users (NOC, tenant admin, operator, viewer, wall)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--yes",
            action="store_true",
            help="run even with DEBUG off (it creates an all-organization admin)",
        )
        parser.add_argument(
            "--control-token",
            help="token of the simulator's control endpoints (default: SIMULATOR_CONTROL_TOKEN)",
        )

    def handle(self, *args, yes, control_token, **_):
        if not settings.DEBUG and not yes:
            raise CommandError(
                "demo_setup creates demo users with an all-organization admin; it runs only "
                "with DEBUG=1 (or pass --yes)."
            )
        organizations = self.organizations(control_token or settings.SIMULATOR_CONTROL_TOKEN)
        for org_id, name in organizations.items():
            Organization.objects.update_or_create(upstream_id=org_id, defaults={"name": name})

        rows = []
        for spec in demo_users(sorted(organizations)):
            password = secrets.token_urlsafe(12)
            self.reset_roles(spec["username"])
            if spec["noc"]:
                grant(username=spec["username"], role=spec["role"], password=password, noc=True)
                scope = "all organizations"
            else:
                for org_id in spec["orgs"]:
                    grant(
                        username=spec["username"],
                        role=spec["role"],
                        password=password,
                        organization_id=org_id,
                    )
                scope = ", ".join(f"{organizations[i]} (#{i})" for i in spec["orgs"])
            rows.append((spec["username"], password, spec["role"], scope))
        self.print_table(rows)

    def organizations(self, token: str) -> dict[int, str]:
        base_url = simulator_base_url(settings.CONTROL_API_URL)
        try:
            found = fetch_organizations(base_url, token)
        except Exception as exc:  # any failure means: use the fallback, and say why
            self.stderr.write(
                self.style.WARNING(
                    f"Could not read the organizations from {base_url}/_sim/organizations "
                    f"({exc.__class__.__name__}: {exc}); using organizations "
                    f"{', '.join(map(str, FALLBACK_ORGANIZATION_IDS))} with placeholder names."
                )
            )
            known = Organization.objects.filter(upstream_id__in=FALLBACK_ORGANIZATION_IDS)
            names = dict(known.values_list("upstream_id", "name"))
            return {
                i: names.get(i, Organization.placeholder_name(i)) for i in FALLBACK_ORGANIZATION_IDS
            }
        self.stdout.write(f"Read {len(found)} organizations from the simulator at {base_url}.")
        return found

    @staticmethod
    def reset_roles(username: str) -> None:
        # Idempotent: a re-run leaves each demo user with exactly the demo roles.
        Membership.objects.filter(user__username=username).delete()
        NocRole.objects.filter(user__username=username).delete()

    def print_table(self, rows) -> None:
        headers = ("username", "password", "role", "scope")
        widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
        line = "  ".join(f"{{:<{w}}}" for w in widths)
        self.stdout.write("")
        self.stdout.write(line.format(*headers).rstrip())
        self.stdout.write(line.format(*("-" * w for w in widths)))
        for row in rows:
            self.stdout.write(line.format(*row).rstrip())
        self.stdout.write("")
