"""create_connection options (OPT-*, API-05, BAUTH-07): validation with typed, helpful errors."""

import pytest

import lpweb
from lpweb import UserType
from lpweb.errors import UsageError


def consumer(**kw):
    return lpweb.create_connection(app_id="quick_start", account_id="123", user_type=UserType.CONSUMER, **kw)


def test_defaults_and_no_io():
    """CONN-01: INITIAL state, no network."""
    conn = consumer()
    assert conn.state == lpweb.ConnectionState.INITIAL
    assert conn.options.csds_domain == "adminlogin.liveperson.net"
    assert conn.options.response_timeout == 10_000


def test_camel_case_dict_is_accepted():
    """API-05: a JS-style options dict works."""
    conn = lpweb.create_connection({"appId": "quick_start", "accountId": "123", "userType": "CONSUMER",
                                    "responseTimeout": "2500", "csdsDomain": "127.0.0.1:1"})
    assert conn.options.response_timeout == 2500 and conn.options.csds_domain == "127.0.0.1:1"


@pytest.mark.parametrize("kwargs, message", [
    ({"bogus": 1}, "unknown option"),
    ({"response_timeout": "10s"}, "digits 0-9"),
    ({"response_timeout": -5}, "response_timeout"),
    ({"response_timeout": 1.5}, "digits 0-9"),
    ({"auth_data": {"username": "x", "password": "y"}}, "brand option"),
    ({"use_authenticated_connection": True}, "needs jwt"),
    ({"default_subscription_query": {"skillId": "1"}}, "skillId"),
])
def test_bad_options(kwargs, message):
    with pytest.raises(UsageError, match=message):
        consumer(**kwargs)


def test_app_id_rules():
    """OPT-01: invalid characters are rejected; digits and upper case only warn."""
    with pytest.raises(UsageError):
        lpweb.create_connection(app_id="bad app!", account_id="1", user_type=UserType.CONSUMER)
    with pytest.warns(UserWarning):
        lpweb.create_connection(app_id="Quick2", account_id="1", user_type=UserType.CONSUMER)


def test_missing_required_options():
    with pytest.raises(UsageError, match="account_id"):
        lpweb.create_connection(app_id="a", user_type=UserType.CONSUMER)


def test_brand_credentials_rules():
    """OPT-28, BAUTH-07: exactly one credential source."""
    with pytest.raises(UsageError, match="not both"):
        lpweb.create_connection(app_id="a", account_id="1", user_type=UserType.BRAND,
                                auth_data={"username": "u", "password": "p"},
                                auth_agent_session_data={"token": "t"})
    with pytest.raises(UsageError, match="needs auth_data"):
        lpweb.create_connection(app_id="a", account_id="1", user_type=UserType.BRAND)


def test_secrets_not_in_repr():
    conn = lpweb.create_connection(app_id="a", account_id="1", user_type=UserType.BRAND,
                                   auth_data={"username": "u", "password": "hunter2-secret"})
    assert "hunter2" not in repr(conn) and "hunter2" not in repr(conn.options)
    conn = consumer(token="eyJhbGciOi.secret-token.sig")
    assert "secret-token" not in repr(conn.options)


def test_enums_compare_to_wire_strings():
    """API-04."""
    assert lpweb.ParticipantRole.CONSUMER == "CONSUMER"
    assert lpweb.RingState.WAITING == "WAITING"
    assert lpweb.ContentType.PLAIN_TEXT == "text/plain"


def test_csds_domain_from_environment(monkeypatch):
    monkeypatch.setenv("LPWEB_CSDS_DOMAIN", "127.0.0.1:8081")
    assert consumer().options.csds_domain == "127.0.0.1:8081"
    assert consumer(csds_domain="x.example").options.csds_domain == "x.example"
    monkeypatch.delenv("LPWEB_CSDS_DOMAIN")
    assert consumer().options.csds_domain == "adminlogin.liveperson.net"
