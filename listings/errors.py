"""The error every listing rule raises: its message goes on the form field it names."""


class ListingError(Exception):
    """A broken listing rule; ``field`` names the form field the message belongs to."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
