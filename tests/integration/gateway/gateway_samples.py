"""Test data of the gateway tests (valid GB 11643 ID numbers and a GB 32100 credit code)."""

JWT_SECRET = "gateway-integration-tests-secret-0123456789"
PASSWORD = "correct horse battery"
LI_LEI = "210102199003071233"
HAN_MEIMEI = "21010219900318123X"
ENTERPRISE_CODE = "91110000600037341L"
