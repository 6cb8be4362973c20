"""The bulk loader: batches written before the next is read, COPY's rows like INSERT's, a streamed
index rebuild that writes what rebuild_index writes, and progress bars only on a terminal."""

import gzip
import io
import json

from sqlalchemy import func, select

import commands
from matching.bulk_index import rebuild_index_in_batches, service_id_batches
from matching.index import rebuild_index
from models import Metadata, Organization, SearchEntry, Service
from seed.bulk import write_rows
from seed.load import load_providers, read_bundles


def _sample(prefix: str, count: int) -> list[dict]:
    return [b for b in read_bundles() if b["key"].startswith(prefix)][:count]


def _count(session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def _index_rows(session) -> list[tuple]:
    columns = [c for c in SearchEntry.__table__.columns if c.name != "id"]
    return sorted(session.execute(select(*columns)).all(), key=repr)


def test_the_loader_writes_and_commits_each_batch_before_reading_the_next(session):
    sample = _sample("tx/", 12)
    seen_before = []

    def bundles():
        for bundle in sample:
            seen_before.append(_count(session, Organization))
            yield bundle

    steps = []
    counts = load_providers(session, bundles(), batch_size=5, commit_batches=True, progress=steps.append)
    assert seen_before == [0] * 5 + [5] * 5 + [10] * 2
    assert steps == [5, 5, 2]
    assert counts["organizations"] == 12
    session.rollback()  # nothing left uncommitted: every batch is already in
    assert _count(session, Organization) == 12


def test_loading_in_small_batches_indexes_as_the_whole_rebuild_does(session):
    sample = _sample("ca/", 60)
    load_providers(session, sample, batch_size=7, commit_batches=True)
    loaded = _index_rows(session)
    assert loaded
    rebuild_index(session)
    session.commit()
    assert _index_rows(session) == loaded
    steps = []
    written = rebuild_index_in_batches(session, commit_batches=True, progress=steps.append)
    assert written == len(loaded)
    assert _index_rows(session) == loaded
    assert sum(steps) == _count(session, Service)


def test_service_batches_page_through_every_service_once(session):
    load_providers(session, _sample("ny/", 30))
    batches = list(service_id_batches(session, size=8))
    ids = [service_id for batch in batches for service_id in batch]
    assert len(ids) == len(set(ids)) == _count(session, Service)
    assert all(len(batch) <= 8 for batch in batches)


def test_bulk_rows_get_the_model_defaults_an_insert_would_give(session):
    write_rows(
        session, Metadata, [{"id": "m1", "resource_id": "r", "resource_type": "service", "last_action_type": "create"}]
    )
    session.commit()
    row = session.get(Metadata, "m1")
    assert row.last_action_date is not None
    assert (row.field_name, row.previous_value, row.updated_by) == ("", "", "")


def test_seed_and_reindex_draw_no_progress_bar_outside_a_terminal(runner, tmp_path):
    path = tmp_path / "providers.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for bundle in _sample("vt/", 6):
            handle.write(json.dumps(bundle) + "\n")
    seeded = runner.invoke(args=["seed", "--file", str(path)])
    assert seeded.output.startswith("Added 6 organizations")
    assert len(seeded.output.splitlines()) == 1
    reindexed = runner.invoke(args=["reindex", "--quiet"])
    assert reindexed.exit_code == 0
    assert reindexed.output.startswith("Search index rebuilt: ")
    assert len(reindexed.output.splitlines()) == 1


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_is_drawn_on_a_terminal_and_not_with_quiet(monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr(commands.sys, "stdout", terminal)
    with commands.progress_bar(4, "Indexing services") as progress:
        progress(2)
        progress(2)
    assert "Indexing services" in terminal.getvalue()
    assert "100%" in terminal.getvalue()
    quiet = _Terminal()
    monkeypatch.setattr(commands.sys, "stdout", quiet)
    with commands.progress_bar(4, "Indexing services", quiet=True) as progress:
        progress(4)
    assert quiet.getvalue() == ""
