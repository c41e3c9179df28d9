"""Granting roles: the one place the commands (and later any admin form) create users' access."""

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.models import Membership, NocRole, Organization


@transaction.atomic
def grant(
    *,
    username: str,
    role: str,
    password: str | None = None,
    organization_id: int | None = None,
    organization_name: str | None = None,
    noc: bool = False,
):
    """Create or update a user and give them `role` in one organization, or over all (noc).

    Returns (user, created). A new user needs a password; an existing one keeps
    theirs unless a new one is given.
    """
    if noc == (organization_id is not None):
        raise ValueError("Give either an organization or NOC, not both or neither.")
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username)
    if created and not password:
        raise ValueError(f"User {username!r} does not exist yet: a password is required.")
    if password:
        user.set_password(password)
        user.save()
    if noc:
        NocRole.objects.update_or_create(user=user, defaults={"role": role})
    else:
        organization, org_created = Organization.objects.get_or_create(
            upstream_id=organization_id,
            defaults={"name": organization_name or Organization.placeholder_name(organization_id)},
        )
        if organization_name and not org_created and organization.name != organization_name:
            organization.name = organization_name
            organization.save(update_fields=["name"])
        Membership.objects.update_or_create(
            user=user, organization=organization, defaults={"role": role}
        )
    return user, created
