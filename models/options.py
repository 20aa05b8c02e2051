"""The options of the analyses (compare, ranges, stress, sweep): their ranges, in one place.

The command line and the Python functions check their options with this model, as the
solver options are checked with ``SolverOptions``, so a value out of range gets the same
answer wherever it is given.
"""

from pydantic import BaseModel, ConfigDict, Field


class AnalysisOptions(BaseModel):
    """Options of the analyses; each is optional, and only those given are checked."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    jobs: int | None = Field(default=None, ge=1)
    """Worker processes."""
    samples: int | None = Field(default=None, ge=0)
    """Draws of the uncertainty list."""
    seed: int | None = Field(default=None, ge=0)
    """Seed of the draws."""
    alternatives: int | None = Field(default=None, ge=0)
    slack: float | None = Field(default=None, ge=0)
    abs_slack: float | None = Field(default=None, ge=0)
    tolerance: float | None = Field(default=None, gt=0)
    """Width of a breakpoint."""
    share_step: float | None = Field(default=None, ge=0)
    run_timeout: float | None = Field(default=None, gt=0)
    """Seconds after which a sweep's run is stopped."""
