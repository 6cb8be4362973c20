"""Build the committed gazetteer files in data/gazetteer/ from the Census seed CSVs.

Usage: python -m geo.build_gazetteer SEED_DIR [OUT_DIR]

Copies zcta_centroids.csv byte for byte into a gzip file, and writes places.csv with each
place's point moved to where its people are (see place_points), both with a fixed mtime so that
rebuilding unchanged input gives identical output. The app reads only the gzip files; it never
reads the seed directory at run time.
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from collections import defaultdict
from pathlib import Path

import zipcodes

from geo.distance import haversine_km
from geo.gazetteer import DATA_DIR, PLACES_FILE, ZCTA_FILE, display_name, name_key

SOURCES: dict[str, tuple[str, list[str]]] = {
    "zcta_centroids.csv": (ZCTA_FILE, ["zcta", "lat", "lng"]),
    "places.csv": (PLACES_FILE, ["geoid", "name", "state", "kind", "lat", "lng"]),
}


def _check(name: str, data: bytes, header: list[str]) -> int:
    """Validate a CSV's header and coordinates; return its row count."""
    reader = csv.reader(io.StringIO(data.decode("utf-8")))
    found = next(reader, None)
    if found != header:
        raise ValueError(f"{name}: header {found!r}, expected {header!r}")
    rows = 0
    for line_no, row in enumerate(reader, start=2):
        if len(row) != len(header):
            raise ValueError(f"{name}:{line_no}: {len(row)} fields, expected {len(header)}")
        lat, lng = float(row[-2]), float(row[-1])
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise ValueError(f"{name}:{line_no}: coordinates out of range")
        rows += 1
    return rows


# A place's own ZIPs are those USPS names after it (in its state) within this distance of its Census point.
OWN_ZIP_KM = 60.0
# A Census internal point this close to one of the place's own ZCTA centroids is kept.
NEAR_OWN_ZCTA_KM = 5.0


def own_zctas(
    places: list[dict], zcta: dict[str, tuple[float, float]], zip_rows: list[dict]
) -> dict[str, list[str]]:
    """Return each place's own ZCTAs by GEOID: the ZIPs USPS names after it, in its state.

    A ZIP whose city name several places of a state share goes to the nearest of them, and to none
    farther than OWN_ZIP_KM (a ZIP named after a town at the other end of the state is not its own).
    """
    by_name: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for place in places:
        name, aliases = display_name(place["name"])
        for key in {name_key(name), *(name_key(a) for a in aliases)}:
            by_name[(key, place["state"].upper())].append(place)
    found: dict[str, list[str]] = defaultdict(list)
    for row in zip_rows:
        code = row["zip_code"]
        if code not in zcta or row["zip_code_type"] not in ("STANDARD", "PO BOX") or not row["city"]:
            continue
        candidates = by_name.get((name_key(row["city"]), row["state"]), [])
        if not candidates:
            continue
        lat, lon = zcta[code]
        km, nearest = min((haversine_km(lat, lon, float(p["lat"]), float(p["lng"])), p["geoid"]) for p in candidates)
        if km <= OWN_ZIP_KM:
            found[nearest].append(code)
    return found


def place_points(places: list[dict], zcta: dict[str, tuple[float, float]], zip_rows: list[dict]) -> int:
    """Move each place's point to where its people are; return how many moved.

    The Census internal point stays when it lies within NEAR_OWN_ZCTA_KM of one of the place's own
    ZCTA centroids. Otherwise (San Francisco's point counts the Farallon Islands and lies in the
    Pacific) the point becomes the own ZCTA centroid nearest the mean of them all: the middle of the
    ZIPs people live in, and always on one of them. Places with no ZIP of their own keep theirs.
    """
    owned = own_zctas(places, zcta, zip_rows)
    moved = 0
    for place in places:
        codes = owned.get(place["geoid"])
        if not codes:
            continue
        lat, lon = float(place["lat"]), float(place["lng"])
        if min(haversine_km(lat, lon, *zcta[c]) for c in codes) <= NEAR_OWN_ZCTA_KM:
            continue
        mean_lat = sum(zcta[c][0] for c in codes) / len(codes)
        mean_lon = sum(zcta[c][1] for c in codes) / len(codes)
        best = min(codes, key=lambda c: haversine_km(mean_lat, mean_lon, *zcta[c]))
        place["lat"], place["lng"] = f"{zcta[best][0]:.6f}", f"{zcta[best][1]:.6f}"
        moved += 1
    return moved


def _places_csv(seed_dir: Path, zip_rows: list[dict]) -> bytes:
    """Return places.csv with every point moved where its people are (see place_points)."""
    with (seed_dir / "zcta_centroids.csv").open(encoding="utf-8", newline="") as handle:
        zcta = {row["zcta"]: (float(row["lat"]), float(row["lng"])) for row in csv.DictReader(handle)}
    with (seed_dir / "places.csv").open(encoding="utf-8", newline="") as handle:
        places = list(csv.DictReader(handle))
    place_points(places, zcta, zip_rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=SOURCES["places.csv"][1], lineterminator="\n")
    writer.writeheader()
    writer.writerows(places)
    return out.getvalue().encode("utf-8")


def build(seed_dir: Path, out_dir: Path = DATA_DIR) -> dict[str, int]:
    """Write the gzip files into out_dir; return row counts by output file name."""
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for source, (target, header) in SOURCES.items():
        if source == "places.csv":
            data = _places_csv(seed_dir, zipcodes.list_all())
        else:
            data = (seed_dir / source).read_bytes()
        counts[target] = _check(source, data, header)
        with (
            (out_dir / target).open("wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz,
        ):
            gz.write(data)
    return counts


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (1, 2):
        sys.stderr.write(__doc__ or "")
        return 2
    out_dir = Path(args[1]) if len(args) == 2 else DATA_DIR
    for target, rows in build(Path(args[0]), out_dir).items():
        sys.stderr.write(f"{out_dir / target}: {rows} rows\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
