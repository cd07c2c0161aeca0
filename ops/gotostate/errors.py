"""The one error type of the resume tool."""


class GoToStateError(Exception):
    """A problem the user can fix; its message is printed as one line, without a traceback."""
