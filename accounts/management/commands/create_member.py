"""python manage.py create_member USERNAME --password PW (--organization ID | --noc) --role ROLE"""

from argparse import ArgumentTypeError

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.membership import grant
from accounts.models import Role


def positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        # Not a CommandError: raised inside argparse, it reached the shell as a traceback.
        raise ArgumentTypeError(f"--organization must be a positive whole number, not {value!r}.")
    return number


class Command(BaseCommand):
    help = (
        "Create or update a user and give them a role in one organization "
        "(--organization ID) or over every organization (--noc)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--password", help="required for a new user; an existing user keeps theirs if omitted"
        )
        where = parser.add_mutually_exclusive_group(required=True)
        where.add_argument(
            "--organization", type=positive_int, help="the organization's id in the control API"
        )
        where.add_argument("--noc", action="store_true", help="NOC staff: every organization")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument(
            "--organization-name", help="name for the organization (default: its placeholder)"
        )

    def handle(self, *args, username, password, organization, noc, role, organization_name, **_):
        username = username.strip()
        if not username:
            raise CommandError("The username must not be empty.")
        if organization_name is not None and organization is None:
            raise CommandError("--organization-name goes with --organization.")
        if password:
            try:
                validate_password(password)
            except ValidationError as exc:
                raise CommandError("Password rejected: " + " ".join(exc.messages)) from None
        try:
            user, created = grant(
                username=username,
                role=role,
                password=password,
                organization_id=organization,
                organization_name=organization_name,
                noc=noc,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        scope = "every organization (NOC)" if noc else f"organization {organization}"
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} user {user.username}: {role} of {scope}."))
