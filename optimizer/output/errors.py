"""What can go wrong in writing an output (the CLI exits 2 with the message)."""


class OutputExistsError(Exception):
    """The output folder exists and holds files; ``--force`` replaces it."""


class ReportError(Exception):
    """The folder is not a result folder, or its report exists and ``force`` was not given."""
