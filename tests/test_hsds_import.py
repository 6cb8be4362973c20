"""flask hsds import on real-world packages: the official 3.0 example and the shapes of 211 exports."""

import csv
import io
import shutil
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from hsds.export import export_package
from hsds.importer import import_path, parse_time
from hsds.taxonomy_map import get_airs_map, looks_like_airs
from hsds.validate import validate_package
from models import (
    Language,
    ListingReport,
    Location,
    Organization,
    Phone,
    Schedule,
    SearchEntry,
    Service,
    ServiceAtLocation,
)
from tests.conftest import _Database

DATA = Path(__file__).parent / "data" / "hsds"
OFFICIAL = DATA / "official-3.0"
LEGAL_211 = DATA / "legal-211-1x"
LIMIT = 10_000_000


@pytest.fixture
def other_database(tmp_path):
    (tmp_path / "other").mkdir()
    found = _Database(tmp_path / "other")
    yield found
    found.drop()


def _copy(tmp_path: Path, source: Path) -> Path:
    target = tmp_path / source.name
    shutil.copytree(source, target)
    return target


def _files(path: Path) -> dict[str, str]:
    return {child.name: child.read_text(encoding="utf-8") for child in sorted(path.iterdir())}


def _rows(path: Path, name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO((path / name).read_text(encoding="utf-8"))))


def _count(session: Session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def _service(session: Session, name: str) -> Service:
    return session.execute(select(Service).where(Service.name == name)).scalar_one()


# The official example -----------------------------------------------------------------------------


def test_the_official_3_0_example_imports_as_shipped_and_lists_what_the_model_lacks(session):
    report = import_path(session, OFFICIAL, max_bytes=LIMIT)
    assert report.ok, report.text()
    assert report.version.startswith("3.0")
    text = report.text()
    for lacking in ("funding.csv", "programs.csv", "metadata.csv", "column program_id", "column fees"):
        assert lacking in text
    # Dangling links are kept out and named, not fatal.
    assert "organizations.csv, line 2, column parent_organization_id" in text
    assert "contacts.csv, line 2, column service_at_location_id" in text
    service = session.get(Service, "ac148810-d857-441c-9679-408f346de14b")
    assert service.fees_description.startswith("Non-NHS patients")  # not the deprecated fees column
    assert service.licenses == "licences"
    organization = session.get(Organization, "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610")
    assert (organization.year_incorporated, organization.logo.endswith(".png")) == (2011, True)
    schedule = session.get(Schedule, "48102e86-bb50-41c4-8f1e-e269368c41d1")
    assert schedule.attending_type.startswith("You can attend this service in-person")
    assert (schedule.opens_at, schedule.closes_at) == ("10:00", "18:00")
    again = import_path(session, OFFICIAL, max_bytes=LIMIT)
    assert again.ok, again.text()
    assert again.changed == 0, again.text()


def test_the_official_example_round_trips_and_its_export_validates(session, other_database, tmp_path):
    assert import_path(session, OFFICIAL, max_bytes=LIMIT).ok
    report = export_package(session, tmp_path / "a")
    first = _files(tmp_path / "a")
    assert validate_package(first) == []
    assert "organizations.csv: description" not in report.text()  # the example has a description
    for name in ("services.csv", "schedules.csv", "attributes.csv", "languages.csv", "phones.csv"):
        assert len(_rows(tmp_path / "a", name)) == 1, name
    # The attribute whose link_id points nowhere is kept on the way round.
    assert _rows(tmp_path / "a", "attributes.csv")[0]["link_id"] == "f28dd44b-0c4d-479f-8e90-4c52219a8b3c"
    with Session(other_database.engine, expire_on_commit=False) as other:
        assert import_path(other, tmp_path / "a", max_bytes=LIMIT).ok
        export_package(other, tmp_path / "b")
    assert _files(tmp_path / "b") == first


# The shapes of real 211 exports -------------------------------------------------------------------


def test_a_1x_package_in_data_with_airs_codes_is_found_by_need(app, runner, client, tmp_path):
    result = runner.invoke(args=["hsds", "import", str(LEGAL_211)])
    assert result.exit_code == 0, result.output
    assert "HSDS version: 1.x" in result.output
    asylum = client.get("/api/v1/search?location=75201&need=immigration-legal").get_json()
    names = [r["service_name"] for r in asylum["results"]]
    assert "Frontera Asylum Clinic" in names  # FT-3600, through services_taxonomy.csv
    assert "Frontera Removal Defense" in names  # FT-3600.6500 on the sub-need, found under its parent
    removal = client.get("/api/v1/search?location=75201&need=removal-defense").get_json()
    assert removal["results"][0]["service_name"] == "Frontera Removal Defense"
    shelter = client.get("/api/v1/search?location=75201&need=victim-support").get_json()
    assert "Casa Segura Shelter" in [r["service_name"] for r in shelter["results"]]
    assert "YZ-9999: 1" in result.output  # the unmapped code, with its count
    again = runner.invoke(args=["hsds", "import", str(LEGAL_211)])
    assert "Added: nothing" in again.output
    assert "Updated: nothing" in again.output


def test_a_shelter_under_the_dv_shelter_code_becomes_confidential(session):
    assert import_path(session, LEGAL_211, max_bytes=LIMIT).ok
    shelter = session.execute(select(Location).where(Location.name == "Casa Segura")).scalar_one()
    assert shelter.confidential
    assert shelter.geocode_precision == "zip"  # the centre of 75204, never the street
    assert (shelter.latitude, shelter.longitude) != (32.792, -96.812)


def test_enforcement_agencies_are_held_out_of_search_with_the_reason(session):
    report = import_path(session, LEGAL_211, max_bytes=LIMIT)
    assert "U.S. Immigration and Customs Enforcement: immigration enforcement agency" in report.text()
    agency = session.execute(select(Organization).where(Organization.name.like("U.S. Immigration%"))).scalar_one()
    assert agency.status == "pending"
    office = _service(session, "ICE Dallas Field Office")
    assert session.execute(select(SearchEntry).where(SearchEntry.service_id == office.id)).first() is None
    held = session.execute(select(ListingReport)).scalars().all()
    assert [r.service_id for r in held] == [office.id]
    assert "immigration enforcement agency" in held[0].message


def test_12_hour_times_noon_and_24_00_are_read_and_the_rest_kept_as_notes(session):
    assert import_path(session, LEGAL_211, max_bytes=LIMIT).ok
    clinic, defense = _service(session, "Frontera Asylum Clinic"), _service(session, "Frontera Removal Defense")
    hours = {(s.service_id, s.byday): s for s in session.execute(select(Schedule)).scalars()}
    monday = hours[(clinic.id, "MO")]
    assert (monday.opens_at, monday.closes_at) == ("09:00", "17:30")
    tuesday = hours[(defense.id, "TU")]
    assert (tuesday.opens_at, tuesday.closes_at, tuesday.notes) == ("12:00", "12:00", "(dispensing)")
    wednesday = hours[(defense.id, "WE")]
    assert (wednesday.opens_at, wednesday.closes_at, wednesday.notes) == (None, "24:00", "opens at: by appointment")


@pytest.mark.parametrize(
    ("text", "closing", "expected"),
    [
        ("9:00am", False, ("09:00", "")),
        ("9am", False, ("09:00", "")),
        ("12:00 a.m.", False, ("00:00", "")),
        ("5:30 PM", True, ("17:30", "")),
        ("noon", False, ("12:00", "")),
        ("midnight", True, ("24:00", "")),
        ("24:00", True, ("24:00", "")),
        ("23:59:59", True, ("24:00", "")),
        ("10:00:00", False, ("10:00", "")),
        ("12:00pm (dispensing)", True, ("12:00", "(dispensing)")),
        ("by appointment", False, (None, "by appointment")),
        ("25:00", False, (None, "25:00")),
        ("9", False, (None, "9")),
    ],
)
def test_parse_time(text, closing, expected):
    assert parse_time(text, closing=closing) == expected


def test_duplicate_ids_keep_differing_rows_and_empty_phones_and_long_names_do_not_stop_the_import(session):
    report = import_path(session, LEGAL_211, max_bytes=LIMIT)
    assert report.ok, report.text()
    text = report.text()
    assert "languages.csv, line 3, column id, value 'lang-1': the id is also used by languages.csv, line 2" in text
    assert "languages.csv, line 5, column id, value 'lang-2': repeats languages.csv, line 4 exactly" in text
    assert "phones.csv, line 3, column number: no phone number; the row was not kept" in text
    assert _count(session, Language) == 4  # 5 rows, one an exact repeat
    assert _count(session, Phone) == 1
    long_name = session.execute(select(Language.name).where(Language.name.like("Spanish, with%"))).scalar_one()
    assert len(long_name) > 100
    defense = _service(session, "Frontera Removal Defense")
    assert defense.eligibility_description == "People with a case before the immigration court"


def test_formula_looking_text_is_kept_as_entered_and_flagged_in_the_export(session, tmp_path):
    assert import_path(session, LEGAL_211, max_bytes=LIMIT).ok
    clinic = _service(session, "Frontera Asylum Clinic")
    assert clinic.description == '=HYPERLINK("http://evil.example","Click")'
    report = export_package(session, tmp_path / "out")
    assert "services.csv, line" in report.text()
    assert "description: '=HYPERLINK" in report.text()
    row = next(r for r in _rows(tmp_path / "out", "services.csv") if r["name"] == "Frontera Asylum Clinic")
    assert row["description"] == clinic.description


def test_an_imported_1x_package_exports_valid_and_round_trips(session, other_database, tmp_path):
    assert import_path(session, LEGAL_211, max_bytes=LIMIT).ok
    report = export_package(session, tmp_path / "a")
    first = _files(tmp_path / "a")
    assert validate_package(first) == []
    assert "organizations.csv: description" not in report.text()
    # AIRS terms carry no description: the documented placeholder fills it, and the report counts it.
    assert "taxonomy_terms.csv: description is required and was empty in 4 row(s): wrote 'Not provided'" in (
        report.text()
    )
    with Session(other_database.engine, expire_on_commit=False) as other:
        assert import_path(other, tmp_path / "a", max_bytes=LIMIT).ok
        export_package(other, tmp_path / "b")
    assert _files(tmp_path / "b") == first


# Missing organizations: strict and --skip-bad-rows ------------------------------------------------


@pytest.fixture
def orphaned(tmp_path) -> Path:
    """The 1.x package plus a service whose organization is not in the file, with rows that hang off it."""
    package = _copy(tmp_path, LEGAL_211)
    data = package / "data"
    with (data / "services.csv").open("a", encoding="utf-8") as handle:
        handle.write("svc-9,org-404,Orphan Clinic,Nobody runs it,,active,,\n")
    with (data / "services_at_location.csv").open("a", encoding="utf-8") as handle:
        handle.write("sal-9,svc-9,loc-1\n")
    with (data / "services_taxonomy.csv").open("a", encoding="utf-8") as handle:
        handle.write("st-9,svc-9,FT-3600,\n")
    with (data / "locations.csv").open("a", encoding="utf-8") as handle:
        handle.write("loc-9,org-1,North office,north,-96.7\n")
    return package


def test_strict_import_reports_every_problem_with_file_and_line_and_imports_nothing(runner, orphaned):
    result = runner.invoke(args=["hsds", "import", str(orphaned)])
    assert result.exit_code == 1
    assert "Nothing was imported" in result.output
    assert "services.csv, line 6, column organization_id, value 'org-404': points at no organization" in result.output
    assert "locations.csv, line 5, column latitude, value 'north': is not a number" in result.output
    assert "services_at_location.csv, line 6, column service_id, value 'svc-9': depends on a rejected service row" in (
        result.output
    )


def test_strict_import_changes_nothing(session, orphaned):
    report = import_path(session, orphaned, max_bytes=LIMIT)
    assert not report.ok
    assert len(report.problems) == 4  # the service, its site, its taxonomy link, the bad latitude
    assert (_count(session, Organization), _count(session, Service)) == (0, 0)


def test_skip_bad_rows_imports_the_rest_and_writes_the_rejects(runner, app, orphaned, tmp_path):
    rejects = tmp_path / "rejects.csv"
    result = runner.invoke(args=["hsds", "import", str(orphaned), "--skip-bad-rows", "--rejects", str(rejects)])
    assert result.exit_code == 0, result.output
    assert "Rejected rows (4)" in result.output
    with rejects.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {(r["file"], r["line"], r["column"]) for r in rows} == {
        ("services.csv", "6", "organization_id"),
        ("services_at_location.csv", "6", "service_id"),
        ("services_taxonomy.csv", "7", "link_id"),
        ("locations.csv", "5", "latitude"),
    }
    with Session(app.config["ENGINE"]) as session:
        assert _count(session, Service) == 4
        assert _count(session, ServiceAtLocation) == 4
    assert "service" in result.output
    assert "rejected" in result.output


def test_a_file_without_a_required_column_is_named_once(session, tmp_path):
    package = _copy(tmp_path, LEGAL_211)
    services = package / "data" / "services.csv"
    services.write_text(services.read_text().replace("organization_id", "org_ref", 1), encoding="utf-8")
    report = import_path(session, package, max_bytes=LIMIT)
    missing = [p for p in report.problems if "missing column" in p]
    assert missing == ["services.csv, column organization_id: missing column; no row of the file can be imported"]


# Zips -------------------------------------------------------------------------------------------


def test_a_zip_is_read_through_its_datapackage(session, tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for path in LEGAL_211.rglob("*"):
            if path.is_file():
                handle.write(path, path.relative_to(LEGAL_211).as_posix())
    assert import_path(session, archive, max_bytes=LIMIT).ok
    assert _count(session, Service) == 4


def test_a_zip_larger_in_total_than_the_limit_is_refused_before_it_is_read(session, tmp_path):
    archive = tmp_path / "big.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        for number in range(5):
            handle.writestr(f"part{number}.csv", "id,name\n" + "x" * 3_000)
        handle.writestr("organizations.csv", "id,name\norg-1,Frontera\n")
    report = import_path(session, archive, max_bytes=4_000, max_total=10_000)
    assert not report.ok
    assert "together are larger than the limit of 10000 bytes" in report.text()


# The AIRS map ------------------------------------------------------------------------------------


def test_the_airs_map_takes_the_longest_prefix_and_knows_every_need():
    airs = get_airs_map()
    assert airs.needs_for("FT-3600") == (("immigration-legal",), False)
    assert airs.needs_for("FT-3600.6500") == (("removal-defense",), False)
    assert airs.needs_for("FT-3600.1500") == (("immigration-legal",), False)
    assert airs.needs_for("FN-1500.9100-180") == (("domestic-violence",), False)
    assert airs.needs_for("BH-1800.1500-100")[1] is True
    assert airs.needs_for("RP-1500.1400") == (("crisis",), False)
    assert airs.needs_for("YZ-9999") == ((), False)
    assert looks_like_airs("BH-1800.1500-100")
    assert not looks_like_airs("svc-1")


# The bundled directory ---------------------------------------------------------------------------


def test_the_bundled_directory_exports_a_package_that_validates(seeded_session, tmp_path):
    report = export_package(seeded_session, tmp_path / "bundle")
    assert validate_package(_files(tmp_path / "bundle")) == []
    # Many bundled organizations have no description: the placeholder is written and counted.
    assert "organizations.csv: description is required and was empty in" in report.text()
    closing = {row["closes_at"] for row in _rows(tmp_path / "bundle", "schedules.csv")}
    assert "24:00" not in closing
    assert "24:00:00" not in closing


def test_every_foreign_key_of_an_imported_table_is_checked_before_writing():
    """A link the checks miss would stop the import with a database error that names no file or row."""
    from hsds.importer import REFERENCES, TABLES

    for table, model in TABLES.items():
        checked = {column for column, _target in REFERENCES.get(table, ())}
        for column in model.__table__.columns:
            if column.foreign_keys and column.name not in checked:
                pytest.fail(f"{table}.{column.name} is a foreign key the importer does not check")
