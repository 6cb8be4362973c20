"""Write many rows fast and in constant memory: COPY on PostgreSQL, batched executemany elsewhere.

The loaders (seed.load, matching.bulk_index, bench/) hand over one batch of rows at a time, as
dicts keyed by column name, and commit per batch, so that neither Python nor the database's
write-ahead log holds the whole load at once.

COPY fires a table's row-level triggers once per row, like INSERT: a trigger that only has to know
that the directory changed (a directory_version counter, say) belongs FOR EACH STATEMENT, where a
whole batch costs it one call.
"""

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

from sqlalchemy import Column, insert
from sqlmodel import Session

EXECUTEMANY_ROWS = 2000  # rows per executemany call where COPY is not available

Progress = Callable[[int], None]


def no_progress(_steps: int) -> None:
    """Report nothing (the default progress callback)."""


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Yield lists of at most ``size`` items, reading ``items`` lazily."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def is_postgres(session: Session) -> bool:
    """Tell whether the session talks to PostgreSQL."""
    return session.get_bind().dialect.name == "postgresql"


def write_rows(session: Session, model: type, rows: list[dict]) -> None:
    """Insert ``rows`` into ``model``'s table: COPY on PostgreSQL, executemany in slices elsewhere."""
    if not rows:
        return
    if is_postgres(session):
        _copy_rows(session, model, rows)
        return
    for start in range(0, len(rows), EXECUTEMANY_ROWS):
        session.execute(insert(model), rows[start : start + EXECUTEMANY_ROWS])


def _copy_rows(session: Session, model: type, rows: list[dict]) -> None:
    """COPY the rows in, filling absent columns with the model's Python-side defaults like an INSERT does."""
    table = model.__table__
    given = set().union(*(row.keys() for row in rows))
    columns = [column for column in table.columns if column.name in given or _python_default(column)]
    names = ", ".join(f'"{column.name}"' for column in columns)
    # flush() first: rows the ORM still holds must reach the database before COPY's.
    session.flush()
    cursor = session.connection().connection.driver_connection.cursor()
    with cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:  # noqa: S608 (column names from the model)
        for row in rows:
            copy.write_row([_value(row, column) for column in columns])


def _python_default(column: Column) -> bool:
    default = column.default
    # A scalar None is no default at all: leave the column out, so that a serial id gets its value.
    return default is not None and (default.is_callable or (default.is_scalar and default.arg is not None))


def _value(row: dict, column: Column) -> Any:
    if column.name in row:
        return row[column.name]
    default = column.default
    if default is None:
        return None
    return default.arg if default.is_scalar else default.arg(None)
