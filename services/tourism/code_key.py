"""The key that signs ticket codes: the tourism service's own, never the platform's JWT key.

``TOURISM_TICKET_SECRET`` (at least 32 characters; every instance of a deployment on several
hosts must share it), else a random key created once in ``var_dir()/tourism-ticket-secret``
that the instances of one machine share, the way ``shared.tokens`` keeps its own.
"""

from __future__ import annotations

from shared.tokens import machine_secret

SECRET_FILE_NAME = "tourism-ticket-secret"  # noqa: S105 - a file name, not a secret


def ticket_secret() -> str:
    return machine_secret("TOURISM_TICKET_SECRET", SECRET_FILE_NAME)
