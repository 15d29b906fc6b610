"""Opening a GTFS zip without letting it run away with the machine.

A feed comes from outside, so its archive is read within limits (``ArchiveLimits``): the files
the importer reads may together expand to at most ``max_total_bytes``, and each of them to at
most ``max_ratio`` times its compressed size (a zip bomb of blank lines compresses a
thousandfold; real feeds 2 to 25 times). The sizes a zip declares are checked before anything is
decompressed, and the bytes really produced are counted while streaming, since a header can
lie. A line (one CSV record, quoted line breaks included) may hold at most ``max_line_chars``
characters, and a header at most ``max_columns`` names. Only stored and deflate members are
read: zipfile inflates bzip2 and LZMA chunks without an output bound, so one read of them could
pass every cap before it is counted. Encrypted members are refused.

Every refusal is an ``ArchiveError`` naming the file (and line) at fault. This module knows
nothing of GTFS tables or of the database; ``gtfs.py`` turns its errors into ``ValidationFailed``.
"""

from __future__ import annotations

import io
import os
import zipfile
import zlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

FeedSource = str | Path | bytes | IO[bytes]

MiB = 2**20

_READ_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
_KNOWN_METHODS = {6: "implode", 9: "deflate64", 12: "bzip2", 14: "LZMA", 93: "zstd", 99: "AES"}
_ENCRYPTED = 0x01  # general purpose flag bit 0: traditional PKWARE encryption
_PATCHED = 0x20  # bit 5: compressed patched data
_STRONG_ENCRYPTION = 0x40  # bit 6
# What zipfile and zlib raise for a damaged archive (bad CRC, truncated data, bad headers).
_DAMAGE = (zipfile.BadZipFile, EOFError, zlib.error, OSError, ValueError)


class ArchiveError(Exception):
    """A feed archive refused: what is wrong, and the file and line at fault when known."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line


@dataclass(frozen=True)
class ArchiveLimits:
    """How much a feed may expand to. Defaults fit a large city's feed with room to spare."""

    max_total_bytes: int = 512 * MiB  # uncompressed, over the files that are read
    max_ratio: int = 200  # uncompressed : compressed, per file
    ratio_exempt_bytes: int = MiB  # a file smaller than this cannot hurt, whatever its ratio
    max_line_chars: int = 64 * 1024
    max_columns: int = 200

    @classmethod
    def from_env(cls) -> ArchiveLimits:
        """The defaults, with ``GTFS_MAX_UNCOMPRESSED_BYTES`` and ``GTFS_MAX_COMPRESSION_RATIO``
        from the environment when set. Raises ``ValueError`` for a value that is not a
        positive integer."""
        values = {}
        for variable, attribute in (
            ("GTFS_MAX_UNCOMPRESSED_BYTES", "max_total_bytes"),
            ("GTFS_MAX_COMPRESSION_RATIO", "max_ratio"),
        ):
            raw = os.environ.get(variable, "").strip()
            if not raw:
                continue
            if not raw.isdigit() or int(raw) == 0:
                raise ValueError(f"{variable} must be a positive integer, not '{raw}'")
            values[attribute] = int(raw)
        return cls(**values)

    def member_allowance(self, compressed_bytes: int) -> int:
        """The most bytes one member of this compressed size may expand to."""
        return max(self.ratio_exempt_bytes, self.max_ratio * compressed_bytes)


class CappedReader(io.RawIOBase):
    """A binary stream passed through unchanged until it has produced more than ``cap`` bytes,
    when it raises ``ArchiveError(message, file)``. ``count`` is the bytes produced so far."""

    def __init__(self, stream: IO[bytes], cap: int, file: str, message: str):
        super().__init__()
        self.count = 0
        self._stream = stream
        self._cap = cap
        self._file = file
        self._message = message

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._stream.read(len(buffer))
        self.count += len(data)
        if self.count > self._cap:
            raise ArchiveError(self._message, self._file)
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._stream.close()
        super().close()


class MemberLines:
    """The text lines of one member, for ``csv.reader``, each checked as it is read.

    ``line`` is the number of the last line read. ``nul_line`` is the first line holding a NUL
    character (PostgreSQL cannot store one in text), for the reader to name the field.
    Call ``record_done()`` after each CSV record: the length limit is on records.
    """

    def __init__(self, stream: CappedReader, file: str, limits: ArchiveLimits):
        self.file = file
        self.line = 0
        self.nul_line: int | None = None
        self._stream = stream
        # utf-8-sig drops a byte-order mark; newline="" lets csv handle CRLF and quoted breaks.
        # Bad bytes decode to lone surrogates, so that the line holding them can be named:
        # the decoder works in chunks of many lines.
        self._text = io.TextIOWrapper(
            io.BufferedReader(stream), encoding="utf-8-sig", errors="surrogateescape", newline=""
        )
        self._max_chars = limits.max_line_chars
        self._record_chars = 0

    def bytes_read(self) -> int:
        return self._stream.count

    def close(self) -> None:
        self._text.close()

    def record_done(self) -> None:
        self._record_chars = 0

    def __iter__(self) -> Iterator[str]:
        readline = self._text.readline
        limit = self._max_chars
        while True:
            try:
                text = readline(limit + 1)
            except _DAMAGE as exc:
                raise ArchiveError(f"is damaged in the zip archive ({exc})", self.file) from None
            if not text:
                return
            self.line += 1
            self._record_chars += len(text)
            if self._record_chars > limit:
                raise ArchiveError(f"is longer than {limit} characters", self.file, self.line)
            if not text.isascii():
                try:
                    text.encode()  # fails on the surrogates standing for bad bytes
                except UnicodeEncodeError:
                    raise ArchiveError("is not valid UTF-8 text", self.file, self.line) from None
            if self.nul_line is None and "\0" in text:
                self.nul_line = self.line
            yield text


class FeedArchive:
    """The wanted files of a zip, found by name at any folder depth (shallowest first), with
    their declared sizes, compression and encryption checked on opening, in ``wanted`` order:
    the file named for passing the total is the one whose reading would pass it."""

    def __init__(self, source: FeedSource, wanted: Collection[str], limits: ArchiveLimits):
        self.limits = limits
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
        except (*_DAMAGE, zipfile.LargeZipFile) as exc:
            raise ArchiveError(f"the feed is not a readable zip archive ({exc})") from None
        try:
            self.members = self._find(wanted)
            self.bytes_total = self._check()
        except ArchiveError:
            self._zip.close()
            raise

    def _find(self, wanted: Collection[str]) -> dict[str, zipfile.ZipInfo]:
        """The members by file name, in the order of ``wanted`` (the order they are read)."""
        # Some publishers put the files in a folder inside the zip: match by file name.
        found: dict[str, zipfile.ZipInfo] = {}
        for info in sorted(self._zip.infolist(), key=lambda item: item.filename.count("/")):
            name = info.filename.rsplit("/", 1)[-1]
            if name in wanted and not info.is_dir():
                found.setdefault(name, info)
        return {name: found[name] for name in wanted if name in found}

    def _check(self) -> int:
        limits = self.limits
        total = 0
        for name, info in self.members.items():
            if info.flag_bits & (_ENCRYPTED | _STRONG_ENCRYPTION):
                raise ArchiveError(
                    "is encrypted; a feed must be published without a password", name
                )
            if info.flag_bits & _PATCHED:
                raise ArchiveError("uses compressed patched data, which is not supported", name)
            if info.compress_type not in _READ_METHODS:
                method = _KNOWN_METHODS.get(info.compress_type, "unknown")
                raise ArchiveError(
                    f"uses compression method {info.compress_type} ({method}); only stored "
                    "and deflate files are read",
                    name,
                )
            if info.file_size > limits.member_allowance(info.compress_size):
                raise ArchiveError(
                    f"expands from {info.compress_size} to {info.file_size} bytes, more than "
                    f"{limits.max_ratio} times its compressed size",
                    name,
                )
            total += info.file_size
            if total > limits.max_total_bytes:
                raise ArchiveError(self._total_message(), name)
        return total

    def _total_message(self) -> str:
        return (
            f"the feed's files expand to more than {self.limits.max_total_bytes} bytes, the "
            "import limit"
        )

    def open_lines(self, name: str, bytes_before: int) -> MemberLines:
        """The lines of member ``name``; ``bytes_before`` were read from earlier members."""
        info = self.members[name]
        try:
            raw = self._zip.open(info)
        except (*_DAMAGE, NotImplementedError, RuntimeError) as exc:
            raise ArchiveError(f"cannot be read from the zip archive ({exc})", name) from None
        by_ratio = self.limits.member_allowance(info.compress_size)
        by_total = self.limits.max_total_bytes - bytes_before
        if by_ratio < by_total:
            message = f"expands to more than {self.limits.max_ratio} times its compressed size"
            stream = CappedReader(raw, by_ratio, name, message)
        else:
            stream = CappedReader(raw, by_total, name, self._total_message())
        return MemberLines(stream, name, self.limits)

    def close(self) -> None:
        self._zip.close()
