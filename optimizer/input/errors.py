"""Errors that carry what the user must see, and the CLI's exit codes."""


class ScenarioError(Exception):
    """An invalid scenario document: every problem as ``path: message`` (exit 2)."""

    def __init__(self, problems: list[str]):
        self.problems = [" ".join(str(p).split()) for p in problems]  # one line each
        super().__init__("\n".join(problems))

    def __reduce__(self):  # back from a worker process with its list, not one joined string
        return (ScenarioError, (self.problems,))
