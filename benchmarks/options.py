"""One formulation or HiGHS choice tried on one generated scenario (issue 16, part 2).

Prints one JSON line: dualtrack's stage-1 seconds (start included) to ``--mip-gap`` under
the variant, the status and the objective, and how many audit problems the plan has.
The variant is ``base`` (dualtrack as it is), ``no-greedy`` (no greedy start),
``cumulative`` (levels as cumulative sums of deliveries, no ``level`` columns, and no
start), or ``opt:NAME=VALUE,...`` (HiGHS options on top of dualtrack's, in every run,
also in the guard's child process).

    python benchmarks/options.py opt:presolve=off dense 200x15 6
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import families  # noqa: E402  (a sibling script, not a package)


def _value(text: str) -> object:
    if text in ("true", "false"):
        return text == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _cumulative_levels(formulation, pyo):
    """``add_levels`` writing l_{b,c,t} as an expression of cumulative sums (no columns)."""

    def add_levels(m, scenario):
        m.contributors = {
            c: [(s.id, s.contributes[c]) for s in scenario.systems if c in s.contributes]
            for c in m.CAPABILITIES
        }
        needs = {(b, c): m.needs[b][c] for b, c in m.LEVELS}
        years = list(m.DELIVERY_YEARS)

        def level(m, b, c, t):
            used = sum(scenario.series(needs[b, c].consumption)[y] for y in years if y <= t)
            arrived = sum(
                e * formulation.delivered(m, b, s, y)
                for s, e in m.contributors[c]
                for y in years
                if y <= t
            )
            return scenario.series(needs[b, c].initial)[t] + arrived - used

        m.level = pyo.Expression(m.LEVELS, m.DELIVERY_YEARS, rule=level)

    return add_levels


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variant")
    parser.add_argument("family", choices=families.FAMILIES)
    parser.add_argument("rung")
    parser.add_argument("seed", type=int)
    parser.add_argument("--mip-gap", type=float, default=0.01)
    parser.add_argument("--time-limit", type=float, default=300.0)
    args = parser.parse_args(argv)

    import pyomo.environ as pyo

    from optimizer.input.load import load_scenario
    from optimizer.model import formulation
    from optimizer.solve import highs, stages

    extra = {}
    if args.variant.startswith("opt:"):
        extra = {k: _value(v) for k, v in (kv.split("=") for kv in args.variant[4:].split(","))}
    run_highs, run_guarded = highs.run_highs, highs.run_guarded
    highs.run_highs = lambda h, settings, *rest: run_highs(h, {**settings, **extra}, *rest)
    highs.run_guarded = lambda h, settings, *rest: run_guarded(h, {**settings, **extra}, *rest)
    if args.variant in ("no-greedy", "cumulative"):
        stages.greedy_start = lambda *_: None
    if args.variant == "cumulative":
        formulation.add_levels = _cumulative_levels(formulation, pyo)
        stages.start_from_nothing = lambda *_: False  # it sets level columns

    scenario = load_scenario(families.generate(args.family, args.rung, args.seed))
    stage_one = scenario.objective.model_copy(update={"secondary": "none"})
    scenario = scenario.model_copy(update={"objective": stage_one})
    options = stages.solver_options(
        scenario, {"time_limit": args.time_limit, "mip_gap": args.mip_gap}
    )
    clock = stages.Clock()
    m = formulation.build_model(scenario)
    form = stages.compile_if_feasible(m)
    result = stages.solve_model(m, form, scenario, None, options, clock=clock)
    laps = result.timings
    print(json.dumps({
        "variant": args.variant, "family": args.family, "rung": args.rung, "seed": args.seed,
        "seconds": round(laps.get("start", 0.0) + laps.get("stage1", 0.0), 2),
        "status": result.status, "objective": result.objective, "audit": len(result.audit()),
        "at": time.strftime("%H:%M:%S"),
    }))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
