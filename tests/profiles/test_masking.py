"""Credentials are masked at any depth before a template sees them (common.masking)."""

import pytest

from common.masking import MASKED, is_credential_name, mask_secrets, mask_url


@pytest.mark.parametrize(
    "name",
    ["password", "secret", "token", "key", "api_key", "client_secret", "private key", "privateKey",
     "credentials", "ssh-key", "DB_PASSWORD", "refresh_token"],
)  # fmt: skip
def test_credential_like_names_are_recognised(name):
    assert is_credential_name(name)


@pytest.mark.parametrize("name", ["item_id", "quantity", "location", "monkey", "host", "filters"])
def test_ordinary_names_are_not_masked(name):
    assert not is_credential_name(name)


def test_a_credential_mapping_is_masked_whole():
    masked = mask_secrets({"credentials": {"api_key": "zk_live_1", "note": "x"}, "host": "h"})
    assert masked == {"credentials": MASKED, "host": "h"}


def test_credentials_inside_lists_at_depth_are_masked():
    value = {"a": [{"b": {"client_secret": "cs_1"}}, ("token", {"private_key": "pk"})]}
    assert mask_secrets(value) == {
        "a": [{"b": {"client_secret": MASKED}}, ["token", {"private_key": MASKED}]]
    }


def test_a_password_in_a_url_is_masked_and_the_rest_kept():
    assert (
        mask_url("postgres://inv:p@ss@db.example:5432/x")
        == f"postgres://inv:{MASKED}@db.example:5432/x"
    )


def test_text_without_a_url_password_is_unchanged():
    assert (
        mask_url("https://warehouse.example/v2?user=a@b") == "https://warehouse.example/v2?user=a@b"
    )
