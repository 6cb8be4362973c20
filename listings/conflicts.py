"""Two people editing one record: merge their changes field by field, and describe what clashes.

An edit form carries the values it was opened on. When someone else saved the record since,
each field is compared three ways: the value the form was opened on, the value saved since
("theirs") and the value in the form ("mine"). A field only one of them changed takes that
change; a field both changed to different values is a conflict, shown with both values and
who saved theirs when. A field the person did not touch is never written back.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlmodel import Session

from listings.errors import ListingError
from models import Metadata


@dataclass
class FieldConflict:
    """A field both people changed: the value saved since (by whom, when) and the one in the form."""

    name: str
    theirs: str
    mine: str
    changed_by: str = ""
    changed_at: datetime | None = None


@dataclass
class Merge:
    """What a stale form brings: its own changes that can be written, and the fields that clash."""

    changes: dict[str, str] = field(default_factory=dict)
    conflicts: list[FieldConflict] = field(default_factory=list)


class EditConflict(ListingError):
    """Both people changed the same field since the form was opened: nothing was written.

    ``stored`` holds the values saved now, ``mine`` the fields the person changed (conflicting or
    not): the form is shown again with both, so that saving it keeps the other person's work.
    """

    def __init__(
        self,
        *,
        stored: dict[str, str],
        version: int,
        mine: dict[str, str] | None = None,
        conflicts: list[FieldConflict] | None = None,
    ):
        super().__init__(_("Someone else saved this listing while you were editing it. Nothing was saved."))
        self.stored = stored
        self.version = version
        self.mine = mine if mine is not None else {}
        self.conflicts = conflicts if conflicts is not None else []


def same_text(first: str, second: str) -> bool:
    """Tell whether two field values say the same (browsers send a textarea's line ends as CRLF)."""
    return first.replace("\r\n", "\n").strip() == second.replace("\r\n", "\n").strip()


def merge_edit(*, opened: dict[str, str], stored: dict[str, str], values: dict[str, str]) -> Merge:
    """Return the form's own changes against the values it was opened on, and the fields that clash."""
    merge = Merge()
    for name, mine in values.items():
        if name not in stored:
            continue
        base = opened.get(name, stored[name])
        if same_text(mine, base):
            continue  # not touched in this form: whatever is saved now stays
        theirs = stored[name]
        if not same_text(theirs, base) and not same_text(theirs, mine):
            merge.conflicts.append(FieldConflict(name=name, theirs=theirs, mine=mine))
        else:
            merge.changes[name] = mine
    return merge


def describe_conflicts(
    session: Session, *, resource_type: str, record: Any, conflicts: list[FieldConflict]
) -> list[FieldConflict]:
    """Fill in who last saved each conflicting field and when, from the history."""
    for conflict in conflicts:
        last = session.execute(
            select(Metadata)
            .where(
                Metadata.resource_id == record.id,
                Metadata.resource_type == resource_type,
                Metadata.field_name == conflict.name,
            )
            .order_by(Metadata.last_action_date.desc())
            .limit(1)
        ).scalar_one_or_none()
        if last is not None:
            conflict.changed_by, conflict.changed_at = last.updated_by, last.last_action_date
    return conflicts
