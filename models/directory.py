"""The directory's last-modified: one row, bumped by every write to the search index.

The results cache (matching.cache) keys every answer by it, so that any listing change made by any
process invalidates every cached answer at once.
"""

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import utcnow

DIRECTORY_STATE_ID = 1  # the only row


class DirectoryState(SQLModel, table=True):
    """How many times the search index has changed, and when it last did (the migration adds the row)."""

    __tablename__ = "directory_state"
    id: int = Field(default=DIRECTORY_STATE_ID, primary_key=True)
    version: int = 0
    changed_at: datetime = Field(default_factory=utcnow)
