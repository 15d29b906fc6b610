"""Test data of the gateway tests (valid GB 11643 ID numbers and a GB 32100 credit code)."""

JWT_SECRET = "gateway-integration-tests-secret-0123456789"
PASSWORD = "correct horse battery"
LI_LEI = "210102199003071233"
HAN_MEIMEI = "21010219900318123X"
ENTERPRISE_CODE = "91110000600037341L"

PALACE = {
    "venue_id": "PALACE",
    "name": "Mukden Palace",
    "category": "scenic_spot",
    "lat": 41.7968,
    "lon": 123.4510,
    "opens_at": "00:00",
    "closes_at": "23:59",
    "daily_capacity": 500,
    "price": "50.00",
    "operator_credit_code": ENTERPRISE_CODE,
}
"""A venue open all day, so that tests book and validate at any hour."""
