"""Write the search index in batches of services: constant memory, COPY on PostgreSQL.

The rows are the ones matching.index computes (``entries_for``, the same function its
``reindex_services`` and ``rebuild_index`` use); only the writing differs: batches read by
keyset, written with seed.bulk.write_rows, optionally committed one by one.
"""

from collections.abc import Iterator

from sqlalchemy import delete, func, select
from sqlmodel import Session

from matching.index import CHUNK, cluster, entries_for, mark_index_changed
from models import SearchEntry, Service
from seed.bulk import Progress, batched, no_progress, write_rows


def index_services(session: Session, service_ids: list[str]) -> int:
    """Replace the index rows of these services; return how many rows were written."""
    written = 0
    for chunk in batched(sorted(set(service_ids)), CHUNK):
        session.execute(delete(SearchEntry).where(SearchEntry.service_id.in_(chunk)))
        rows = entries_for(session, chunk)
        write_rows(session, SearchEntry, rows)
        written += len(rows)
    mark_index_changed(session)
    return written


def index_new_services(session: Session, service_ids: list[str]) -> int:
    """Write the index rows of services that have none yet (a bulk load); return how many were written."""
    written = 0
    for chunk in batched(service_ids, CHUNK):
        rows = entries_for(session, chunk)
        write_rows(session, SearchEntry, rows)
        written += len(rows)
    mark_index_changed(session)
    return written


def service_id_batches(session: Session, size: int = CHUNK) -> Iterator[list[str]]:
    """Yield every service id, in batches of ``size``, without holding them all (keyset paging)."""
    last = ""
    while True:
        ids = list(
            session.execute(select(Service.id).where(Service.id > last).order_by(Service.id).limit(size)).scalars()
        )
        if not ids:
            return
        yield ids
        last = ids[-1]


def count_services(session: Session) -> int:
    """Return how many services there are (the length of a rebuild's progress bar)."""
    return session.execute(select(func.count()).select_from(Service)).scalar_one()


def rebuild_index_in_batches(
    session: Session, *, commit_batches: bool = False, progress: Progress = no_progress
) -> int:
    """Rebuild the whole index a batch of services at a time; return how many rows were written.

    Without ``commit_batches`` it is one transaction: searches see the old index until the caller
    commits. With it, each batch is committed (SQLite's write-ahead log then stays small), and a
    search during the rebuild may miss services not yet reindexed.
    """
    session.execute(delete(SearchEntry))
    mark_index_changed(session)  # an empty directory would have no batch to mark it
    written = 0
    for ids in service_id_batches(session):
        written += index_new_services(session, ids)
        if commit_batches:
            session.commit()
        progress(len(ids))
    cluster(session)
    return written
