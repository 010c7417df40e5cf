"""The one exception the data layer raises for problems a user can act on."""

from __future__ import annotations


class DataError(Exception):
    """A raw file is missing, corrupt or laid out in a way the parsers do not recognise.

    The message always names the file (relative to the raw folder) and, where there is one,
    the sheet and the table or key that could not be read.
    """

    def __init__(self, message: str, *, file: str | None = None, sheet: str | None = None):
        self.file = file
        self.sheet = sheet
        where = ""
        if file:
            where = file if not sheet else f"{file} [sheet {sheet!r}]"
            where += ": "
        super().__init__(where + message)
