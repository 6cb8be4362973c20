"""flask hsds export / import: HSDS data packages out and in, all or nothing, without a shelter's address."""

import csv
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from hsds.export import datapackage, export_package
from hsds.importer import import_path
from models import Address, Credential, Organization, Service, TaxonomyTerm
from tests.conftest import _Database, _make_app
from tests.factories import make_service

SHELTER_STREET = "77 Hidden Shelter Lane"
LIMIT = 10_000_000


@pytest.fixture
def directory(session):
    make_service(
        session,
        name="Dallas Legal Aid",
        needs=["asylum"],
        lat=32.79,
        lon=-96.80,
        languages=["es"],
        credentials=["eoir-pro-bono"],
        capacity="waitlist",
        cost="free",
        hours=[("MO,TU", "09:00", "17:00")],
        areas=[("state", "TX", "Texas")],
    )
    make_service(
        session,
        name="Safe Harbor",
        needs=["domestic-violence"],
        lat=32.80,
        lon=-96.79,
        confidential=True,
        street=SHELTER_STREET,
        public_phone="800-555-0199",
    )
    return session


@pytest.fixture
def other_database(tmp_path):
    """A second empty database, to import into."""
    (tmp_path / "other").mkdir()
    found = _Database(tmp_path / "other")
    yield found
    found.drop()


def read_package(path: Path) -> dict[str, str]:
    return {child.name: child.read_text(encoding="utf-8") for child in sorted(path.iterdir())}


def counts(session: Session) -> tuple:
    return tuple(
        session.execute(select(func.count()).select_from(model)).scalar_one()
        for model in (Organization, Service, Address, Credential, TaxonomyTerm)
    )


def test_export_writes_every_hsds_table_and_no_shelter_address(runner, directory, tmp_path):
    result = runner.invoke(args=["hsds", "export", str(tmp_path / "pkg")])
    assert result.exit_code == 0, result.output
    files = read_package(tmp_path / "pkg")
    for resource in datapackage()["resources"]:
        header = next(csv.reader([files[resource["path"]].splitlines()[0]]))
        assert header == [f["name"] for f in resource["schema"]["fields"]]
    assert json.loads(files["datapackage.json"])["version"] == "3.0.0"
    for name, text in files.items():
        assert SHELTER_STREET not in text, name
    locations = list(csv.DictReader(files["locations.csv"].splitlines()))
    shelter = next(row for row in locations if row["name"] == "Safe Harbor")
    assert shelter["latitude"] == shelter["longitude"] == ""
    assert len(list(csv.DictReader(files["addresses.csv"].splitlines()))) == 1
    attributes = files["attributes.csv"]
    assert "credential" in attributes
    assert "capacity" in attributes


def test_export_to_a_zip(runner, directory, tmp_path):
    result = runner.invoke(args=["hsds", "export", str(tmp_path / "pkg.zip")])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(tmp_path / "pkg.zip") as archive:
        assert "datapackage.json" in archive.namelist()
        assert all(SHELTER_STREET.encode() not in archive.read(name) for name in archive.namelist())


def test_export_import_export_gives_the_same_package_and_twice_changes_nothing(directory, other_database, tmp_path):
    export_package(directory, tmp_path / "a")
    with Session(other_database.engine, expire_on_commit=False) as other:
        report = import_path(other, tmp_path / "a", max_bytes=LIMIT)
        assert report.ok, report.text()
        assert report.added["service"] == 2
        first = counts(other)
        again = import_path(other, tmp_path / "a", max_bytes=LIMIT)
        assert again.ok, again.text()
        assert again.changed == 0, again.text()
        assert "skipped" in again.text()
        assert counts(other) == first
        export_package(other, tmp_path / "b")
    assert read_package(tmp_path / "a") == read_package(tmp_path / "b")


def test_import_from_a_zip_and_from_ndjson(client, directory, other_database, tmp_path):
    export_package(directory, tmp_path / "a.zip")
    (tmp_path / "services.ndjson").write_bytes(client.get("/api/hsds/services?format=ndjson").data)
    with Session(other_database.engine, expire_on_commit=False) as other:
        assert import_path(other, tmp_path / "a.zip", max_bytes=LIMIT).ok
        report = import_path(other, tmp_path / "services.ndjson", max_bytes=LIMIT)
        assert report.ok, report.text()
        assert counts(other)[1] == 2


def _corrupt(path: Path, name: str, change) -> None:
    target = path / name
    target.write_text(change(target.read_text(encoding="utf-8")), encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "change", "reason"),
    [
        ("services.csv", lambda t: t.replace("organization_id,", "org,", 1), "missing column"),
        ("services.csv", lambda t: t + '"unclosed,quote\n', "broken CSV"),
        ("locations.csv", lambda t: t.replace("32.79", "north"), "latitude"),
        (
            "service_at_location.csv",
            lambda t: t.replace("\n", "\nzz,no-such-service,no-such-location,\n", 1),
            "points at no service",
        ),
        ("services.csv", lambda t: t + "x" * 2_000, "larger than the limit"),
        ("organizations.csv", lambda t: t.replace("Dallas Legal Aid,", "x" * 400 + ",", 1), "longer than 300"),
    ],
)
def test_a_bad_package_imports_nothing_and_says_why(directory, other_database, tmp_path, name, change, reason):
    export_package(directory, tmp_path / "a")
    _corrupt(tmp_path / "a", name, change)
    limit = 4_000 if reason == "larger than the limit" else LIMIT
    with Session(other_database.engine, expire_on_commit=False) as other:
        report = import_path(other, tmp_path / "a", max_bytes=limit)
        assert not report.ok
        assert reason in report.text()
        assert "Nothing was imported" in report.text()
        assert counts(other)[:4] == (0, 0, 0, 0)


OLD_LAYOUT = {
    "organizations.csv": "id,name,description,url,email\norg-1,Frontera Legal,Immigration help,https://example.org,\n",
    "services.csv": "id,organization_id,name,description,url,status,wait\n"
    "svc-1,org-1,Frontera Asylum Clinic,Help with asylum cases,,active,2 weeks\n",
    "locations.csv": "id,organization_id,name,latitude,longitude\nloc-1,org-1,Downtown office,32.781,-96.797\n",
    "physical_addresses.csv": "id,location_id,address_1,city,state_province,postal_code,country\n"
    "addr-1,loc-1,500 Elm St,Dallas,TX,75202,US\n",
    "services_at_location.csv": "id,service_id,location_id\nsal-1,svc-1,loc-1\n",
    "taxonomy.csv": "id,name,parent_id,parent_name,vocabulary\ntax-1,Immigration Legal Services,,,AIRS\n",
    "service_taxonomy.csv": "id,service_id,taxonomy_id,taxonomy_detail\nst-1,svc-1,tax-1,\n",
    "phones.csv": "id,location_id,service_id,number,type,language\nph-1,,svc-1,214-555-0142,voice,en\n",
    "regular_schedules.csv": "id,service_id,location_id,weekday,opens_at,closes_at\nrs-1,svc-1,,1,09:00,17:00\n",
}


def test_an_hsds_1_package_imports_and_is_found_by_search(app, runner, client, tmp_path):
    folder = tmp_path / "old"
    folder.mkdir()
    for name, text in OLD_LAYOUT.items():
        (folder / name).write_text(text, encoding="utf-8")
    result = runner.invoke(args=["hsds", "import", str(folder)])
    assert result.exit_code == 0, result.output
    assert "Added" in result.output
    answer = client.get("/api/v1/search?location=75201&need=immigration-legal").get_json()
    assert "Frontera Asylum Clinic" in [r["service_name"] for r in answer["results"]]
    terms = client.get("/api/hsds/taxonomy_terms?search=immigration+legal+services").get_json()["contents"]
    assert [t["taxonomy"] for t in terms] == ["AIRS"]
    again = runner.invoke(args=["hsds", "import", str(folder)])
    assert "Added: nothing" in again.output
    assert "Updated: nothing" in again.output


def test_the_import_command_fails_with_the_report(runner, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    result = runner.invoke(args=["hsds", "import", str(bad)])
    assert result.exit_code == 1
    assert "not valid JSON" in result.output


def test_apps_on_two_databases_stay_apart(other_database):
    # The second database is a real app database too (migrated, empty).
    other = _make_app(other_database)
    assert other.test_client().get("/api/hsds/services").get_json()["total_items"] == 0
