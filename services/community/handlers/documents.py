"""Uploaded documents: bytes on disk, content-addressed, outside the database rows.

A file is stored once per content under ``<dir>/<sha256[:2]>/<sha256>`` (two residents
uploading the same scan share the file, each has their own row). The directory is
``COMMUNITY_DOCUMENTS_DIR``, else ``<var dir>/community/documents``. Bytes travel over RPC as
base64. A type is believed only when the bytes start the way that type does.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from services.community.models import Document
from shared import config as settings
from shared.contracts.community import DOCUMENT_TYPES, MAX_DOCUMENT_BYTES
from shared.errors import NotFound, PayloadTooLarge, UnsupportedMediaType, invalid

MAGIC = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}


def documents_dir(config: dict[str, Any]) -> Path:
    configured = config.get("COMMUNITY_DOCUMENTS_DIR") or os.environ.get("COMMUNITY_DOCUMENTS_DIR")
    path = Path(configured) if configured else settings.var_dir() / "community" / "documents"
    path.mkdir(parents=True, exist_ok=True)
    return path


def decode(content_type: str, content_base64: str) -> bytes:
    """The upload's bytes, held to the size and type limits."""
    if content_type not in DOCUMENT_TYPES:
        raise UnsupportedMediaType(
            f"documents must be {', '.join(DOCUMENT_TYPES)}",
            fields={"Content-Type": [f"got {content_type}"]},
        )
    try:
        content = base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise invalid("content", "not base64") from None
    if not content:
        raise invalid("content", "empty document")
    if len(content) > MAX_DOCUMENT_BYTES:
        raise PayloadTooLarge(f"documents are at most {MAX_DOCUMENT_BYTES} bytes")
    if not content.startswith(MAGIC[content_type]):
        raise UnsupportedMediaType(
            f"the content is not a {content_type} file",
            fields={"Content-Type": ["does not match the content"]},
        )
    return content


def store(
    session: Session, root: Path, owner_card: str, kind: str, content_type: str, content: bytes
) -> Document:
    digest = hashlib.sha256(content).hexdigest()
    path = root / digest[:2] / digest
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{uuid.uuid4().hex}.part")
        partial.write_bytes(content)
        partial.replace(path)  # atomic: a reader never sees half a file
    document = Document(
        owner_card=owner_card,
        kind=kind,
        content_type=content_type,
        size=len(content),
        sha256=digest,
    )
    session.add(document)
    session.flush()
    return document


def find(session: Session, document_id: str) -> Document:
    try:
        key = uuid.UUID(str(document_id))
    except ValueError:
        raise NotFound("no such document") from None
    document = session.get(Document, key)
    if document is None:
        raise NotFound("no such document")
    return document


def read(root: Path, document: Document) -> str:
    """The document's bytes, base64 (what RPC carries)."""
    content = (root / document.sha256[:2] / document.sha256).read_bytes()
    return base64.b64encode(content).decode("ascii")


def view(document: Document) -> dict[str, Any]:
    return {
        "document_id": str(document.id),
        "kind": document.kind,
        "content_type": document.content_type,
        "size": document.size,
        "sha256": document.sha256,
        "uploaded_at": document.uploaded_at.isoformat(),
    }
