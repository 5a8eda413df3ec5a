"""Builders of wire dicts: client properties (CLP-01/02) and SDEs (PROF-06..08)."""

import lpweb
from lpweb import DeviceFamily, Features, OS


def test_client_properties_seed_example():
    """CLP-01: the seed's example gives the documented wire keys; omitted fields are left out."""
    props = lpweb.create_client_properties(
        device_family=DeviceFamily.DESKTOP, device_manufacturer="Apple", device_model="MacBook Pro", os=OS.OSX,
        os_name="macOS", os_version="11.6.8", ip_address="127.0.0.1", browser="CHROME", browser_version="47.0",
        time_zone="America/Los_Angeles", features=[Features.AUTO_MESSAGES, Features.PHOTO_SHARING])
    assert props == {"deviceFamily": "DESKTOP", "deviceManufacturer": "Apple", "deviceModel": "MacBook Pro",
                     "os": "OSX", "osName": "macOS", "osVersion": "11.6.8", "ipAddress": "127.0.0.1",
                     "browser": "CHROME", "browserVersion": "47.0", "timeZone": "America/Los_Angeles",
                     "features": ["AUTO_MESSAGES", "PHOTO_SHARING"]}
    assert type(props["os"]) is str
    assert lpweb.create_client_properties() == {}


def test_sdes():
    assert lpweb.create_customer_info_sde(customer_id="c1", balance=12.5) == {
        "type": "ctmrinfo", "info": {"customerId": "c1", "balance": 12.5}}
    assert lpweb.create_personal_info_sde(firstname="John", lastname="Doe", contacts=[{"email": "j@x"}]) == {
        "type": "personal", "personal": {"firstname": "John", "lastname": "Doe", "contacts": [{"email": "j@x"}]}}
    assert lpweb.create_jwt_claims_set(sub="s", phone_number="1", sdes=[{"type": "ctmrinfo"}]) == {
        "sub": "s", "phone_number": "1", "lp_sdes": [{"type": "ctmrinfo"}]}
