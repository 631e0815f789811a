"""The one exception for a user-fixable problem: its message is one sentence naming the file (or
flag, row, key) and what to do. The CLI prints it without a traceback; anything else is a bug."""


class CorpusError(ValueError):
    """A user-fixable problem with an input; the message names the file and the fix."""
