"""No personal data in open data: every resource of every dataset (CSV, JSON, the GTFS zip's
files, and each datastore table) is fetched after demo-like data exists, and scanned for
resident ID numbers (``stdnum.cn.ric``: any valid one, not only those registered), citizen-card
numbers (the platform's own check, ``shared.identity``), mobile phone numbers, and the names,
phones and document numbers of the people registered.

Legal entities are not people: the names and unified social credit codes of the enterprises on
the published credit lists are public by law (公示) and may appear. A USCC is 18 characters
like an ID number; a token counts as an organisation's only if it is the code of a registered
legal entity, so a personal ID number can never pass as one. Their legal representatives are
natural persons, and their names are scanned for like the residents'.
"""

import io
import re
import zipfile

import pytest
import requests
from ckanapi import RemoteCKAN
from opendata_world import build
from stdnum.cn import ric

from shared.identity import is_valid_card_number
from smartcity.demo import ENTERPRISES

ID_LIKE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
CARD_LIKE = re.compile(r"(?<!\d)\d{16}(?!\d)")
MOBILE_LIKE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ORGANISATION_CODES = {enterprise["credit_code"] for enterprise in ENTERPRISES}


def personal_data_in(text: str, people) -> list[str]:
    found = [
        f"ID number {token}"
        for token in ID_LIKE.findall(text)
        if ric.is_valid(token) and token.upper() not in ORGANISATION_CODES
    ]
    found += [f"card {token}" for token in CARD_LIKE.findall(text) if is_valid_card_number(token)]
    found += [f"mobile {token}" for token in MOBILE_LIKE.findall(text)]
    for kind, values in (
        ("registered ID number", people.id_numbers),
        ("registered card", people.cards),
        ("name", people.names),
        ("phone", people.phones),
        ("document", people.documents),
    ):
        found += [f"{kind} {value}" for value in values if value.lower() in text.lower()]
    return found


def test_the_scan_finds_what_it_looks_for(stack_factory):
    """The scanner itself, on text that holds each kind of personal data."""
    from opendata_world import PersonalData

    people = PersonalData(names=["Li Lei"], phones=["13812345678"], cards=["2101000000000010"])
    assert personal_data_in("venue,Li Lei", people) == ["name Li Lei"]
    assert personal_data_in("x 210102199003071233 y", people) == ["ID number 210102199003071233"]
    assert personal_data_in("91110000600037341L", people) == []  # an enterprise's USCC
    assert personal_data_in("tel 13812345678", people) == [
        "mobile 13812345678",
        "phone 13812345678",
    ]


@pytest.fixture
def city(stack_factory, monkeypatch, tmp_path):
    monkeypatch.setenv("COMMUNITY_DOCUMENTS_DIR", str(tmp_path / "documents"))
    return build(stack_factory)


def _texts(url: str) -> list[tuple[str, str]]:
    response = requests.get(url, timeout=30)
    assert response.status_code == 200, (url, response.text[:300])
    if response.headers["Content-Type"] == "application/zip":
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            return [(f"{url}!{name}", archive.read(name).decode()) for name in archive.namelist()]
    return [(url, response.text)]


def test_no_resource_of_any_dataset_holds_personal_data(city):
    stack, people, _keys = city
    ckan = RemoteCKAN(stack.url)
    scanned: dict[str, str] = {}
    totals: dict[str, int] = {}
    for name in ckan.action.package_list():
        package = ckan.action.package_show(id=name)
        assert {"CSV", "JSON"} <= {resource["format"] for resource in package["resources"]}
        for resource in package["resources"]:
            scanned.update(_texts(resource["url"]))
            if resource["datastore_active"]:
                table = ckan.action.datastore_search(resource_id=resource["id"], limit=32000)
                assert len(table["records"]) == table["total"]
                totals[name] = table["total"]
                scanned[f"datastore {resource['id']}"] = repr(table["records"])
    for what in ("package_search", "organization_list", "tag_list"):
        scanned[what] = repr(ckan.call_action(what, {"rows": 1000, "all_fields": True}))

    # The data are there: the scan looks at real records, not at empty tables.
    assert [name for name, total in totals.items() if total == 0] == []
    assert any(
        code in scanned_text for code in ORGANISATION_CODES for scanned_text in scanned.values()
    )
    lists = next(text for where, text in scanned.items() if "credit-red-black-lists.csv" in where)
    assert ENTERPRISES[0]["name"] in lists and ENTERPRISES[1]["name"] in lists
    assert len(lists.strip().splitlines()) == 3  # the two enterprises; never the resident
    assert "stop_times.txt" in " ".join(scanned)

    leaks = {
        where: found for where, text in scanned.items() if (found := personal_data_in(text, people))
    }
    assert leaks == {}
