"""Where the dashboard's Redis is: the sentinel list, the master's database and credentials
taken from REDIS_URL, and descriptions that never carry a password."""

import pytest

from fleet.redis_connection import RedisAddress, parse_sentinels


def test_sentinels_are_host_port_pairs_with_26379_by_default():
    assert parse_sentinels(" 10.0.0.1:26380, sentinel-b ,[::1]:26381,") == (
        ("10.0.0.1", 26380),
        ("sentinel-b", 26379),
        ("::1", 26381),
    )
    assert parse_sentinels(None) == ()


@pytest.mark.parametrize("bad", ["host:port", "user@host:1", "host:1/0", "host:99999"])
def test_an_entry_that_is_not_host_port_is_named(bad):
    with pytest.raises(ValueError, match=bad):
        parse_sentinels(f"ok:26379,{bad}")


def test_the_master_takes_redis_urls_database_and_credentials_not_its_host():
    address = RedisAddress("redis://noc:p%40ss@ignored:1/4", (("s", 26379),), "noc")
    assert address.master_options() == {"db": 4, "username": "noc", "password": "p@ss"}


def test_descriptions_never_carry_a_password():
    address = RedisAddress("redis://:secret@ignored:1/4", (("s1", 1), ("s2", 2)), "noc", "s3cret")
    assert address.where() == "master 'noc' of the sentinels s1:1,s2:2/4"
    assert "secret" not in repr(address) and "s3cret" not in repr(address)
    assert RedisAddress("redis://:secret@h:6380/2").where() == "h:6380/2"
