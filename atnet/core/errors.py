"""The one exception for a user-fixable problem: its message is one sentence naming the file (or
flag, row, key) and what to do. The CLI prints it without a traceback; anything else is a bug."""


class CorpusError(ValueError):
    """A user-fixable problem with an input; the message names the file and the fix. It is kept on
    one line: a line break that came in with a file name or a cell is shown as \\n."""

    def __init__(self, message: str = ""):
        super().__init__(one_line_text(message))


def one_line_text(text) -> str:
    return str(text).replace("\r", "\\r").replace("\n", "\\n")
