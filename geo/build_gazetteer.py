"""Build the committed gazetteer files in data/gazetteer/ from the Census seed CSVs.

Usage: python -m geo.build_gazetteer SEED_DIR [OUT_DIR]

Copies zcta_centroids.csv and places.csv byte for byte into gzip files (fixed mtime, so
rebuilding unchanged input gives identical output) after checking their headers and rows.
The app reads only the gzip copies; it never reads the seed directory at run time.
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from pathlib import Path

from geo.gazetteer import DATA_DIR, PLACES_FILE, ZCTA_FILE

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


def build(seed_dir: Path, out_dir: Path = DATA_DIR) -> dict[str, int]:
    """Write the gzip copies into out_dir; return row counts by output file name."""
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for source, (target, header) in SOURCES.items():
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
