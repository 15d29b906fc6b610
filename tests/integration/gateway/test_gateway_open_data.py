"""The open-data portal through ``ckanapi.RemoteCKAN``, unchanged, against the running gateway
and every sector service: list, search with paging, show, organizations, resources, a
datastore search paged with limit and offset, and CKAN's errors raised as ckanapi's own."""

import csv
import io

import pytest
import requests
from ckanapi import NotAuthorized, NotFound, RemoteCKAN, ValidationError
from opendata_world import TODAY, build

from gateway.opendata.catalogue import DATASETS, ORGANIZATIONS


@pytest.fixture
def city(stack_factory, monkeypatch, tmp_path):
    monkeypatch.setenv("COMMUNITY_DOCUMENTS_DIR", str(tmp_path / "documents"))
    stack, _people, _keys = build(stack_factory)
    return stack


def _resource(package: dict, fmt: str) -> dict:
    (found,) = [r for r in package["resources"] if r["format"] == fmt]
    return found


def test_ckanapi_lists_searches_shows_and_pages_the_datastore(city):
    ckan = RemoteCKAN(city.url)

    names = ckan.action.package_list()
    assert names == sorted(dataset.name for dataset in DATASETS)
    assert ckan.action.package_list(limit=2, offset=1) == names[1:3]

    first = ckan.action.package_search(q="parking", rows=1, start=0)
    second = ckan.action.package_search(q="parking", rows=1, start=1)
    assert first["count"] == second["count"] == 2
    paged = [first["results"][0]["name"], second["results"][0]["name"]]
    everything = ckan.action.package_search(q="parking", rows=10)
    assert sorted(paged) == sorted(p["name"] for p in everything["results"])
    assert all("parking" in name for name in paged)
    by_org = ckan.action.package_search(fq="organization:traffic", sort="name asc", rows=100)
    assert [p["name"] for p in by_org["results"]] == sorted(
        d.name for d in DATASETS if d.organization == "traffic"
    )
    assert ckan.action.package_search(q="tags:health")["count"] == 1

    package = ckan.action.package_show(id="parking-occupancy-by-district")
    assert package["organization"]["name"] == "traffic"
    assert package["license_id"] == "cc-by-4.0" and package["license_url"].startswith("https://")
    assert package["metadata_modified"]
    assert {r["format"] for r in package["resources"]} == {"CSV", "JSON"}
    assert ckan.action.package_show(id=package["id"])["name"] == package["name"]

    assert ckan.action.organization_list() == sorted(
        (o.name for o in ORGANIZATIONS),
        key=lambda n: next(o.title for o in ORGANIZATIONS if o.name == n),
    )
    organizations = ckan.action.organization_list(all_fields=True)
    assert sum(o["package_count"] for o in organizations) == len(DATASETS)
    health = ckan.action.organization_show(id="health")
    assert [p["name"] for p in health["packages"]] == ["health-statistics"]
    assert "parking" in ckan.action.tag_list()

    # The resource's URL downloads the live table; the datastore pages the same records.
    stops = ckan.action.package_show(id="bus-stops")
    csv_resource = ckan.action.resource_show(id=_resource(stops, "CSV")["id"])
    download = requests.get(csv_resource["url"], timeout=15)
    assert download.status_code == 200 and download.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    with city.rpc("traffic") as cluster:
        live = cluster.traffic.stops()["items"]
    assert [row["stop_id"] for row in rows] == [stop["stop_id"] for stop in live]

    resource_id = csv_resource["id"]
    pages, offset = [], 0
    while True:
        page = ckan.action.datastore_search(resource_id=resource_id, limit=4, offset=offset)
        assert page["total"] == len(live)
        if not page["records"]:
            break
        pages.extend(page["records"])
        offset += 4
    assert [record["stop_id"] for record in pages] == [stop["stop_id"] for stop in live]
    assert [record["_id"] for record in pages] == list(range(1, len(live) + 1))
    assert [f["id"] for f in page["fields"]] == ["_id", "stop_id", "name", "lat", "lon"]

    one = live[3]
    found = ckan.action.datastore_search(
        resource_id=resource_id, filters={"stop_id": one["stop_id"]}
    )
    assert found["total"] == 1 and found["records"][0]["name"] == one["name"]
    word = one["name"].split()[0]
    texts = ckan.action.datastore_search(resource_id=resource_id, q=word, sort="stop_id desc")
    assert texts["total"] >= 1 and all(word.lower() in r["name"].lower() for r in texts["records"])
    ids = [r["stop_id"] for r in texts["records"]]
    assert ids == sorted(ids, reverse=True)

    # Live aggregates: what the services answer now.
    district = ckan.action.package_show(id="parking-occupancy-by-district")
    table = ckan.action.datastore_search(resource_id=_resource(district, "JSON")["id"])
    with city.rpc("traffic") as cluster:
        expected = cluster.traffic.parking_by_district()["districts"]
    assert [{k: v for k, v in r.items() if k != "_id"} for r in table["records"]] == expected
    performance = ckan.action.package_show(id="community-time-limit-performance")
    table = ckan.action.datastore_search(
        resource_id=_resource(performance, "CSV")["id"],
        filters={"affair": "unemployment-registration"},
    )
    assert (table["records"][0]["open"], table["records"][0]["decided"]) == (1, 0)
    visitors = ckan.action.package_show(id="tourism-daily-visitors")
    table = ckan.action.datastore_search(
        resource_id=_resource(visitors, "JSON")["id"], filters={"venue_id": "DEMO-PALACE"}
    )
    assert [(r["visit_date"], r["visitors_booked"]) for r in table["records"]] == [
        (TODAY.isoformat(), 2)  # the ticket the world booked for two today
    ]


def test_ckan_errors_are_raised_by_ckanapi_as_its_own(city):
    ckan = RemoteCKAN(city.url)
    with pytest.raises(NotFound):
        ckan.action.package_show(id="no-such-dataset")
    with pytest.raises(NotFound):
        ckan.call_action("no_such_action")
    with pytest.raises(NotFound):
        ckan.action.resource_show(id="00000000-0000-0000-0000-000000000000")
    with pytest.raises(ValidationError) as refused:
        ckan.action.package_search(rows="many")
    assert "rows" in refused.value.error_dict
    with pytest.raises(ValidationError) as refused:
        ckan.action.package_show()
    assert refused.value.error_dict["id"] == ["Missing value"]
    stops = ckan.action.package_show(id="bus-stops")
    with pytest.raises(ValidationError) as refused:
        ckan.action.datastore_search(resource_id=stops["resources"][0]["id"], sort="colour asc")
    assert "sort" in refused.value.error_dict
    with pytest.raises(NotAuthorized):
        RemoteCKAN(city.url, apikey="not-a-key-of-this-city").action.package_list()

    # The same envelope over GET on /api/3, and for paths under the API that do not exist.
    shown = requests.get(f"{city.url}/api/3/action/package_show", params={"id": "bus-stops"})
    assert shown.status_code == 200
    assert shown.json()["success"] is True and shown.json()["help"].startswith(city.url)
    missing = requests.get(f"{city.url}/api/3/action/package_show/extra", timeout=15)
    assert missing.status_code == 404
    assert missing.json()["error"]["__type"] == "Not Found Error"
    refused = requests.post(
        f"{city.url}/api/action/package_list",
        data="[1]",
        headers={"Content-Type": "application/json"},
        timeout=15,
    )
    assert refused.status_code == 409 and refused.json()["success"] is False
    assert refused.json()["error"]["__type"] == "Validation Error"
    form = requests.post(
        f"{city.url}/api/action/package_show", data={"id": "bus-routes"}, timeout=15
    )
    assert form.json()["result"]["name"] == "bus-routes"
