"""Hostile GTFS zips are refused naming the file (and line) at fault (domain/gtfs_archive.py).

The zips are built in memory from the sample feed and patched byte by byte where zipfile
cannot write the hostile form itself: a compression method it does not know, the encryption
flag, a header that lies about the sizes.
"""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from services.traffic.domain.gtfs import load_feed
from services.traffic.domain.gtfs_archive import ArchiveError, ArchiveLimits, CappedReader
from shared.errors import ValidationFailed

# Offsets of fields in a local file header (signature PK\3\4) and in a central directory
# entry (PK\1\2), from the ZIP specification (APPNOTE.TXT, 4.3.7 and 4.3.12).
LOCAL_FLAGS, CENTRAL_FLAGS = 6, 8
LOCAL_METHOD, CENTRAL_METHOD = 8, 10
LOCAL_COMPRESSED_SIZE, CENTRAL_COMPRESSED_SIZE = 18, 20
LOCAL_SIZE, CENTRAL_SIZE = 22, 24


def _zip(files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _patch(data: bytes, member: str, local: int, central: int, fmt: str, value) -> bytes:
    """``data`` with one header field of ``member`` replaced by ``value(old)``, in both its
    local header and its central directory entry."""
    patched = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(member)
    entry = patched.index(b"PK\x01\x02")
    while patched[entry + 46 : entry + 46 + len(member)] != member.encode():
        entry = patched.index(b"PK\x01\x02", entry + 4)
    for offset in (info.header_offset + local, entry + central):
        (old,) = struct.unpack_from(fmt, patched, offset)
        struct.pack_into(fmt, patched, offset, value(old))
    return bytes(patched)


def _refused(feed: bytes, limits: ArchiveLimits | None = None) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        load_feed(feed, limits or ArchiveLimits())
    error = caught.value
    assert error.fields == {"feed": [error.message]}
    return error


def _where(error: ValidationFailed) -> tuple:
    return (error.extra["file"], error.extra["line"], error.extra["field"])


# --- Size and ratio --------------------------------------------------------------------------


def _blank_line_bomb(sample_files: dict[str, bytes], blank_lines: int) -> bytes:
    """The sample feed whose stop_times.txt is its header followed by many blank lines: a
    thousandfold compression, like the 4.7 MB zip of 1 GiB that once ran for minutes."""
    header = sample_files["stop_times.txt"].split(b"\n", 1)[0] + b"\n"
    return _zip({**sample_files, "stop_times.txt": header + b"\n" * blank_lines})


def test_a_zip_bomb_is_refused_from_its_declared_ratio(sample_files):
    feed = _blank_line_bomb(sample_files, 4 * 2**20)
    error = _refused(feed)
    assert _where(error) == ("stop_times.txt", None, None)
    assert error.message.startswith("stop_times.txt: expands from ")
    assert error.message.endswith("bytes, more than 200 times its compressed size")


def test_the_ratio_is_configurable_and_spares_small_files(sample_files):
    feed = _blank_line_bomb(sample_files, 20_000)  # 20 kB from about 60 bytes
    assert len(load_feed(feed, ArchiveLimits()).rows("stop_times.txt")) == 0
    strict = ArchiveLimits(max_ratio=50, ratio_exempt_bytes=1000)
    assert "more than 50 times" in _refused(feed, strict).message


def test_the_total_uncompressed_size_is_capped(make_zip):
    # The sample's nine files hold 3266 bytes: 1748 up to trips.txt, 2920 with stop_times.txt.
    error = _refused(make_zip(), ArchiveLimits(max_total_bytes=2000))
    assert error.message == (
        "stop_times.txt: the feed's files expand to more than 2000 bytes, the import limit"
    )


def test_limits_come_from_the_environment(make_zip, monkeypatch):
    monkeypatch.setenv("GTFS_MAX_UNCOMPRESSED_BYTES", "2000")
    monkeypatch.setenv("GTFS_MAX_COMPRESSION_RATIO", "7")
    assert ArchiveLimits.from_env() == ArchiveLimits(max_total_bytes=2000, max_ratio=7)
    with pytest.raises(ValidationFailed) as caught:
        load_feed(make_zip())  # no limits given: the environment's
    assert "more than 2000 bytes" in caught.value.message


@pytest.mark.parametrize("value", ["0", "-5", "lots", "1e9"])
def test_a_bad_limit_in_the_environment_is_named(monkeypatch, value):
    monkeypatch.setenv("GTFS_MAX_COMPRESSION_RATIO", value)
    with pytest.raises(
        ValueError, match=f"GTFS_MAX_COMPRESSION_RATIO must be a positive integer, not '{value}'"
    ):
        ArchiveLimits.from_env()


def test_a_header_declaring_a_bomb_small_yields_only_the_declared_bytes(sample_files):
    # 4 MiB of blank lines declared as 3000 bytes: the declared ratio passes, reading stops at
    # 3000 bytes and the checksum of the truncated data fails.
    feed = _patch(
        _blank_line_bomb(sample_files, 4 * 2**20),
        "stop_times.txt", LOCAL_SIZE, CENTRAL_SIZE, "<I", lambda size: 3000,
    )  # fmt: skip
    error = _refused(feed)
    assert _where(error) == ("stop_times.txt", None, None)
    assert "is damaged in the zip archive (Bad CRC-32" in error.message


def test_a_header_understating_the_compressed_size_is_damage(make_zip):
    feed = _patch(
        make_zip(),
        "stop_times.txt", LOCAL_COMPRESSED_SIZE, CENTRAL_COMPRESSED_SIZE, "<I",
        lambda size: size - 50,
    )  # fmt: skip
    assert _where(_refused(feed)) == ("stop_times.txt", None, None)


def test_corrupt_deflate_data_is_damage(sample_files):
    feed = bytearray(_zip(sample_files))
    info = zipfile.ZipFile(io.BytesIO(bytes(feed))).getinfo("stop_times.txt")
    data_start = info.header_offset + 30 + len(info.filename)
    feed[data_start + 40 : data_start + 60] = b"\xff" * 20
    error = _refused(bytes(feed))
    assert error.message.startswith("stop_times.txt: is damaged in the zip archive (Error -3")


def test_the_stream_itself_is_capped_whatever_the_headers_say():
    # The second line of defence, beneath the declared sizes: bytes really produced.
    data = b"x" * 10_000
    passed = CappedReader(io.BytesIO(data), 10_000, "stops.txt", "too big")
    assert io.BufferedReader(passed).read() == data
    assert passed.count == 10_000
    capped = io.BufferedReader(CappedReader(io.BytesIO(data), 9_999, "stops.txt", "too big"))
    with pytest.raises(ArchiveError) as caught:
        capped.read()
    assert (caught.value.file, caught.value.message) == ("stops.txt", "too big")


# --- Compression methods and encryption ------------------------------------------------------


def test_an_unknown_compression_method_is_named(sample_files):
    stored = _zip(sample_files, zipfile.ZIP_STORED)
    feed = _patch(stored, "stops.txt", LOCAL_METHOD, CENTRAL_METHOD, "<H", lambda method: 99)
    error = _refused(feed)
    assert error.message == (
        "stops.txt: uses compression method 99 (AES); only stored and deflate files are read"
    )
    assert _where(error) == ("stops.txt", None, None)


def test_bzip2_is_refused_because_it_inflates_without_bound(sample_files):
    error = _refused(_zip(sample_files, zipfile.ZIP_BZIP2))
    assert error.message.startswith("agency.txt: uses compression method 12 (bzip2)")


def test_an_encrypted_member_is_refused(make_zip):
    feed = _patch(make_zip(), "stops.txt", LOCAL_FLAGS, CENTRAL_FLAGS, "<H", lambda f: f | 1)
    error = _refused(feed)
    assert error.message == "stops.txt: is encrypted; a feed must be published without a password"


def test_files_the_importer_does_not_read_are_not_checked(sample_files):
    # fare_rules.txt is not imported: its compression, however odd, does not matter.
    stored = _zip(sample_files, zipfile.ZIP_STORED)
    feed = _patch(stored, "fare_rules.txt", LOCAL_METHOD, CENTRAL_METHOD, "<H", lambda m: 99)
    assert len(load_feed(feed, ArchiveLimits()).rows("stops.txt")) == 9


# --- Text: NUL characters, line length, columns ----------------------------------------------


def test_a_nul_in_a_stop_name_names_file_line_and_field(make_zip, sample_files):
    stops = sample_files["stops.txt"].replace(b"Nye County Airport", b"Nye\x00County Airport")
    error = _refused(make_zip(stops_txt=stops))
    assert error.message == (
        "stops.txt, line 3, field stop_name: contains a NUL character, which no value may hold"
    )


def test_a_nul_in_any_value_is_refused(make_zip, sample_files):
    # trip_headsign of the second trip; and an id, which is checked against other files too.
    trips = sample_files["trips.txt"].replace(b"to Airport", b"to\x00Airport")
    assert _where(_refused(make_zip(trips_txt=trips))) == ("trips.txt", 3, "trip_headsign")
    stop_times = sample_files["stop_times.txt"].replace(b"STAGECOACH", b"STAGE\x00COACH", 1)
    assert _where(_refused(make_zip(stop_times_txt=stop_times))) == ("stop_times.txt", 2, "stop_id")


def test_a_nul_in_a_header_or_an_unread_column(make_zip, sample_files):
    header = sample_files["stops.txt"].replace(b"stop_url", b"stop\x00url")
    error = _refused(make_zip(stops_txt=header))
    assert error.message == (
        "stops.txt, line 1: the header contains a NUL character, which no value may hold"
    )
    # stop_url is not imported, but a NUL there is just as much a broken feed.
    unread = sample_files["stops.txt"].replace(b",,\n", b",,\x00\n", 1)
    assert _where(_refused(make_zip(stops_txt=unread))) == ("stops.txt", 2, "stop_url")


def test_a_line_past_the_limit_names_file_and_line(make_zip, sample_files):
    stops = sample_files["stops.txt"].replace(b"Nye County Airport", b"N" * 70_000)
    error = _refused(make_zip(stops_txt=stops))
    assert error.message == "stops.txt, line 3: is longer than 65536 characters"


def test_the_limit_covers_a_record_split_over_quoted_line_breaks(make_zip, sample_files):
    # Line 3's stop_desc is a quoted value of 40 short lines: each line is short, the record not.
    description = b'"' + b"word\n" * 40 + b'"'
    stops = sample_files["stops.txt"].replace(
        b"(Demo),,36.868446", b"(Demo)," + description + b",36.868446"
    )
    assert len(load_feed(make_zip(stops_txt=stops), ArchiveLimits()).rows("stops.txt")) == 9
    error = _refused(make_zip(stops_txt=stops), ArchiveLimits(max_line_chars=150))
    assert error.message.startswith("stops.txt, line ")
    assert error.message.endswith(": is longer than 150 characters")


def test_a_header_with_too_many_columns(make_zip, sample_files):
    header, rest = sample_files["stops.txt"].split(b"\n", 1)
    wide = header + b"".join(b",extra_%d" % number for number in range(200)) + b"\n" + rest
    error = _refused(make_zip(stops_txt=wide))
    assert error.message == "stops.txt, line 1: has 207 columns, more than 200"


def test_invalid_utf8_still_names_the_line(make_zip, sample_files):
    stops = sample_files["stops.txt"].replace(b"Nye County", b"Nye \xff County")
    assert _where(_refused(make_zip(stops_txt=stops))) == ("stops.txt", 3, None)
