"""Builders of wire dicts: client properties (CLP-*), SDEs and JWT claims sets (PROF-06..10).

Each takes snake_case keyword arguments and returns a dict in LivePerson's JSON spelling,
leaving out what was not given. They do no validation beyond types the wire needs.
"""

from __future__ import annotations

from typing import Any, Iterable, TypedDict

__all__ = ["create_client_properties", "create_customer_info_sde", "create_personal_info_sde",
           "create_jwt_claims_set", "CustomerAge", "PersonalContact"]


class CustomerAge(TypedDict, total=False):
    age: int
    year: int
    month: int
    day: int


class PersonalContact(TypedDict, total=False):
    address: dict[str, Any]
    email: str
    phone: str


def _wire(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    return {key: (str(value) if hasattr(value, "value") else value)
            for key, value in pairs if value is not None}


def create_client_properties(*, device_family: Any = None, device_manufacturer: str | None = None,
                             device_model: str | None = None, os: Any = None, os_name: str | None = None,
                             os_version: str | None = None, ip_address: str | None = None,
                             browser: str | None = None, browser_version: str | None = None,
                             time_zone: str | None = None, features: Iterable[Any] | None = None,
                             integration: Any = None, integration_version: str | None = None) -> dict[str, Any]:
    """Client properties for ``create_connection(client_properties=...)`` (CLP-01)."""
    props = _wire([
        ("deviceFamily", device_family), ("deviceManufacturer", device_manufacturer),
        ("deviceModel", device_model), ("os", os), ("osName", os_name), ("osVersion", os_version),
        ("ipAddress", ip_address), ("browser", browser), ("browserVersion", browser_version),
        ("timeZone", time_zone), ("integration", integration), ("integrationVersion", integration_version),
    ])
    if features is not None:
        props["features"] = [str(f) for f in features]
    return props


def create_customer_info_sde(*, cstatus: str | None = None, ctype: str | None = None,
                             balance: float | None = None, customer_id: str | None = None,
                             last_payment_date: Any = None, registration_date: Any = None,
                             login_status: int | None = None, company_branch: str | None = None,
                             social_id: str | None = None, imei: str | None = None, user_name: str | None = None,
                             company_size: int | None = None, account_name: str | None = None,
                             role: str | None = None) -> dict[str, Any]:
    """A ``ctmrinfo`` SDE (PROF-06)."""
    info = _wire([
        ("cstatus", cstatus), ("ctype", ctype), ("balance", balance), ("customerId", customer_id),
        ("lastPaymentDate", last_payment_date), ("registrationDate", registration_date),
        ("loginStatus", login_status), ("companyBranch", company_branch), ("socialId", social_id),
        ("imei", imei), ("userName", user_name), ("companySize", company_size),
        ("accountName", account_name), ("role", role),
    ])
    return {"type": "ctmrinfo", "info": info}


def create_personal_info_sde(*, firstname: str | None = None, lastname: str | None = None,
                             gender: str | None = None, language: str | None = None, company: str | None = None,
                             age: CustomerAge | None = None,
                             contacts: list[PersonalContact] | None = None) -> dict[str, Any]:
    """A ``personal`` SDE (PROF-07)."""
    personal = _wire([("firstname", firstname), ("lastname", lastname), ("gender", gender),
                      ("language", language), ("company", company), ("age", age), ("contacts", contacts)])
    return {"type": "personal", "personal": personal}


def create_jwt_claims_set(*, sub: str | None = None, iss: str | None = None, exp: int | None = None,
                          iat: int | None = None, phone_number: str | None = None,
                          preferred_username: str | None = None, email: str | None = None,
                          sdes: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Claims for the legacy authenticated-consumer flow (PROF-08)."""
    claims = _wire([("sub", sub), ("iss", iss), ("exp", exp), ("iat", iat), ("phone_number", phone_number),
                    ("preferred_username", preferred_username), ("email", email)])
    if sdes is not None:
        claims["lp_sdes"] = list(sdes)
    return claims
