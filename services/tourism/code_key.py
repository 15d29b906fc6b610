"""The key that signs ticket codes: the tourism service's own, never the platform's JWT key.

``TOURISM_TICKET_SECRET`` (at least 32 characters; every instance of a deployment on several
hosts must share it), else a random key created once in ``var_dir()/tourism-ticket-secret``
that the instances of one machine share, the way ``shared.tokens`` keeps its own.
"""

from __future__ import annotations

import os

from shared.config import var_dir
from shared.tokens import MIN_SECRET_LENGTH, _read_or_create_secret

SECRET_FILE_NAME = "tourism-ticket-secret"  # noqa: S105 - a file name, not a secret


def ticket_secret() -> str:
    configured = os.environ.get("TOURISM_TICKET_SECRET")
    if configured:
        if len(configured) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"TOURISM_TICKET_SECRET must be at least {MIN_SECRET_LENGTH} characters"
            )
        return configured
    return _read_or_create_secret(var_dir() / SECRET_FILE_NAME)
