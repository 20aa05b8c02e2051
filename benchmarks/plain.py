"""The yardstick: the stage-1 MIP written plainly on highspy, straight from the scenario document.

Independent of ``optimizer/`` and ``models/`` (nothing is imported from them): the document is
read as a mapping (a YAML file or a dict), the model written with cumulative sums and no
tightening, and HiGHS run with its default options, apart from the relative MIP gap and the
time limit. It answers one question for the benchmark (issue 16): how long does a plain
formulation of the same problem take to reach a 1 % gap on the weighted gap?

    python benchmarks/plain.py benchmarks/generated/ladder-bench-200x15-s0.yaml --mip-gap 0.01

The model (one buyer, the primary ``weighted_gap``; docs/formulation.md has dualtrack's):

==============  ============================================================================
symbol          meaning
==============  ============================================================================
x_{s,t}         units of s ordered in t (t + L_s ≤ end + tail); integer unless ``integer: false``
y_{s,t}         s adopted in year t (binary; not in service and adoption_cost > 0)
z_{s,t}         expansion steps bought in t (integer; t + R_s ≤ end + tail)
f_{β,s,t}       money from budget β for s in t (s eligible for β)
g_{c,t}         gap of c in t (t in the horizon and its tail, requirement > 0)
==============  ============================================================================

- minimise Σ_{c,t} w_c·g_{c,t}/r_{c,t} (times ``tail_weight`` after ``end``);
- gap: g_{c,t} + Σ_s e_{s,c}·Σ_{τ ≤ t−L_s} x_{s,τ} ≥ r_{c,t} − i_{c,t} − Σ_s e_{s,c}·Σ_{τ≤t} π_{s,τ}
  + Σ_{τ≤t} u_{c,τ} (the level written out as cumulative sums; the level may go negative);
- capacity: x_{s,t} ≤ cap_{s,t+L_s}, or for a line with expansion
  x_{s,t} − Δ_s·Σ_{τ ≤ t+L_s−R_s} z_{s,τ} ≤ cap_{s,t+L_s} and Σ_t z_{s,t} ≤ N_s;
- adoption: Σ_t y_{s,t} ≤ 1, x_{s,t} ≤ (max cap + Δ·N)·Σ_{τ≤t} y_{s,τ}, and an adoption only with an
  order: δ_s·Σ_t y_{s,t} ≤ Σ_t x_{s,t} (δ 1 unit, 1e-3 of a divisible one);
- payment: Σ_β f_{β,s,t} = p_{s,t}·x_{s,t} + F_s·y_{s,t} + K_s·z_{s,t};
- budgets: Σ_s f_{β,s,t} ≤ A_{β,t}, or with carryover Σ_{τ≤t} Σ_s f_{β,s,τ} ≤ Σ_{τ≤t} A_{β,τ};
- rules: ``share`` (spend or content, horizon or per year, min or max), ``exclude``
  (x = 0 by bounds), ``deadline`` (level ≥ fraction·requirement from its year, in the horizon).

Series read as dualtrack documents them: a scalar in every year; a mapping takes the value of
the latest key at or before the year, or the first key's before it. Pipeline counts only in the
years it names inside the horizon and its tail.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import highspy
import numpy as np
from ruamel.yaml import YAML

SMALLEST_DIVISIBLE_ORDER = 1e-3  # an adoption needs at least this much of a divisible system


def value_at(series: object, year: int) -> float:
    """A scalar, or the mapping's value at the latest key ≤ ``year`` (else the first key's)."""
    if series is None:
        return 0.0
    if not isinstance(series, dict):
        return float(series)
    keys = sorted(int(k) for k in series)
    earlier = [k for k in keys if k <= year]
    key = earlier[-1] if earlier else keys[0]
    return float(series[key] if key in series else series[str(key)])


def read(source: str | Path | dict) -> dict:
    """The scenario document as a mapping (a YAML file read here, or the mapping itself)."""
    if isinstance(source, dict):
        return source
    return YAML(typ="safe").load(Path(source).read_text(encoding="utf-8"))


class Selector:
    """Which systems a filter (a budget's ``eligible``, a rule's ``select``) selects."""

    def __init__(self, doc: dict):
        self.country = {k["id"]: k["country"] for k in doc["suppliers"]}
        self.groups = doc.get("groups", {})

    def matches(self, spec: dict | None, system: dict) -> bool:
        """Keys combine with AND, a list inside a key is OR, an empty filter selects all."""
        spec = spec or {}
        country = self.country[system["supplier"]]
        contributes = system["contributes"]
        tests = {
            "groups": lambda v: any(country in self.groups[g] for g in v),
            "countries": lambda v: country in v,
            "suppliers": lambda v: system["supplier"] in v,
            "systems": lambda v: system["id"] in v,
            "capabilities": lambda v: any(c in contributes for c in v),
            "tags": lambda v: any(tag in system.get("tags", []) for tag in v),
            "itar": lambda v: system.get("itar", False) == v,
            "in_service": lambda v: bool(system.get("in_service", False)) == v,
            "eu_content_min": lambda v: system.get("eu_content", 0.0) >= v,
            "eu_content_max": lambda v: system.get("eu_content", 0.0) <= v,
            "interoperability_min": lambda v: system.get("interoperability", 1.0) >= v,
            "not": lambda v: not self.matches(v, system),
        }
        unknown = set(spec) - set(tests)
        if unknown:
            raise ValueError(f"filter keys not supported by the plain model: {sorted(unknown)}")
        return all(tests[key](value) for key, value in spec.items() if value is not None)


class Builder:
    """Columns and rows of a MIP, collected in Python lists, then handed to HiGHS at once."""

    def __init__(self):
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.cost: list[float] = []
        self.integer: list[int] = []
        self.row_lower: list[float] = []
        self.row_upper: list[float] = []
        self.starts: list[int] = [0]
        self.index: list[int] = []
        self.value: list[float] = []

    def column(self, lower: float, upper: float, integer: bool = False, cost: float = 0.0) -> int:
        """A new column; its index."""
        self.lower.append(lower)
        self.upper.append(upper)
        self.integer.append(1 if integer else 0)
        self.cost.append(cost)
        return len(self.lower) - 1

    def row(self, terms: dict[int, float], lower: float, upper: float) -> None:
        """lower ≤ Σ coefficient·column ≤ upper (``terms`` maps column to coefficient)."""
        for col, coef in terms.items():
            if coef != 0:
                self.index.append(col)
                self.value.append(coef)
        self.starts.append(len(self.index))
        self.row_lower.append(lower)
        self.row_upper.append(upper)

    def lp(self) -> highspy.HighsLp:
        """The collected model as a row-wise HighsLp."""
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(self.lower), len(self.row_lower)
        lp.col_cost_ = np.array(self.cost, dtype=float)
        lp.col_lower_ = np.array(self.lower, dtype=float)
        lp.col_upper_ = np.array(self.upper, dtype=float)
        lp.row_lower_ = np.array(self.row_lower, dtype=float)
        lp.row_upper_ = np.array(self.row_upper, dtype=float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.array(self.starts, dtype=np.int32)
        lp.a_matrix_.index_ = np.array(self.index, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(self.value, dtype=float)
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
            for i in self.integer
        ]
        return lp


def _add(terms: dict[int, float], col: int, coef: float) -> None:
    terms[col] = terms.get(col, 0.0) + coef


class PlainModel:
    """The stage-1 MIP of a one-buyer scenario document, built in ``__init__``."""

    def __init__(self, doc: dict):
        if doc.get("buyers"):
            raise ValueError("the plain model is for documents without buyers")
        objective = doc.get("objective", {})
        if objective.get("primary", "weighted_gap") != "weighted_gap" or objective.get("risk"):
            raise ValueError("the plain model minimises the weighted gap only")
        horizon = doc["horizon"]
        self.start, self.end = int(horizon["start"]), int(horizon["end"])
        self.last = self.end + int(horizon.get("tail", 0))
        self.tail_weight = float(horizon.get("tail_weight", 1.0))
        self.years = range(self.start, self.end + 1)
        self.delivery_years = range(self.start, self.last + 1)
        self.doc, self.select = doc, Selector(doc)
        self.systems = doc["systems"]
        self.capability = {c["id"]: c for c in doc["capabilities"]}
        self.contributors = {c: [] for c in self.capability}
        for s in self.systems:
            for c, e in s["contributes"].items():
                if e:
                    self.contributors[c].append((s, float(e)))
        self.model = Builder()
        self.excluded = self._excluded()
        self.order: dict[tuple[str, int], int] = {}
        self.adopt: dict[tuple[str, int], int] = {}
        self.steps: dict[tuple[str, int], int] = {}
        for s in self.systems:
            self._system_columns(s)
        self._payments_and_budgets()
        self._gaps()
        self._rules()

    # -- columns and the rows of one system --------------------------------------------------

    def _excluded(self) -> set[tuple[str, int]]:
        """(system, year) pairs an enabled ``exclude`` rule forbids orders in."""
        out = set()
        for rule in self.doc.get("rules", []):
            if rule["type"] != "exclude" or not rule.get("enabled", True):
                continue
            first = rule.get("from_year", self.start) or self.start
            until = rule.get("until_year", self.end) or self.end
            for s in self.systems:
                if self.select.matches(rule["systems"], s):
                    out |= {(s["id"], t) for t in range(first, until + 1)}
        return out

    def _system_columns(self, s: dict) -> None:
        """x, y and z of system ``s``, with capacity, expansion and adoption rows."""
        sid, lead = s["id"], int(s.get("lead_time", 0))
        expansion = s.get("expansion")
        if expansion and int(expansion.get("max_steps", 1)) == 0:
            expansion = None
        integer = s.get("integer", True)
        m = self.model
        order_years = [t for t in self.years if t + lead <= self.last]
        most = 0.0  # the most any one order can be: capacity plus every step
        for t in order_years:
            cap = value_at(s["capacity"], t + lead)
            upper = 0.0 if (sid, t) in self.excluded else (np.inf if expansion else cap)
            self.order[sid, t] = m.column(0.0, upper, integer)
            most = max(most, cap)
        if expansion and order_years:
            ramp, steps = int(expansion.get("ramp_up", 0)), int(expansion.get("max_steps", 1))
            for t in self.years:  # a step must add output before the last delivery year
                if t + ramp <= self.last:
                    self.steps[sid, t] = m.column(0.0, steps, True)
            years = [t for t in self.years if (sid, t) in self.steps]
            if years:
                m.row({self.steps[sid, t]: 1.0 for t in years}, -np.inf, steps)
            extra = float(expansion["capacity"])
            most += extra * steps
            for t in order_years:
                terms = {self.order[sid, t]: 1.0}
                for tau in years:
                    if tau <= t + lead - ramp:
                        _add(terms, self.steps[sid, tau], -extra)
                m.row(terms, -np.inf, value_at(s["capacity"], t + lead))
        adoption_cost = float(s.get("adoption_cost", 0.0))
        if s.get("in_service", False) or adoption_cost <= 0 or not order_years:
            return
        for t in order_years:
            self.adopt[sid, t] = m.column(0.0, 1.0, True)
        adopted = [self.adopt[sid, t] for t in order_years]
        m.row(dict.fromkeys(adopted, 1.0), -np.inf, 1.0)
        for k, t in enumerate(order_years):  # x_t ≤ most·Σ_{τ≤t} y_τ
            terms = {self.order[sid, t]: 1.0}
            for col in adopted[: k + 1]:
                terms[col] = -most
            m.row(terms, -np.inf, 0.0)
        smallest = 1.0 if integer else SMALLEST_DIVISIBLE_ORDER
        terms = dict.fromkeys(adopted, smallest)
        for t in order_years:
            terms[self.order[sid, t]] = -1.0
        m.row(terms, -np.inf, 0.0)

    # -- money -------------------------------------------------------------------------------

    def payment(self, s: dict, t: int) -> dict[int, float]:
        """pay_{s,t} as column → coefficient (orders at that year's price, adoption, steps)."""
        sid, terms = s["id"], {}
        if (sid, t) in self.order:
            terms[self.order[sid, t]] = value_at(s["unit_cost"], t)
        if (sid, t) in self.adopt:
            terms[self.adopt[sid, t]] = float(s["adoption_cost"])
        if (sid, t) in self.steps:
            terms[self.steps[sid, t]] = float(s["expansion"]["cost"])
        return terms

    def _payments_and_budgets(self) -> None:
        """Funding columns, payment rows, and each budget's yearly or cumulative limit."""
        m, budgets = self.model, self.doc["budgets"]
        funding = {b["id"]: {t: [] for t in self.years} for b in budgets}
        for s in self.systems:
            eligible = [b["id"] for b in budgets if self.select.matches(b.get("eligible"), s)]
            for t in self.years:
                terms = {col: -coef for col, coef in self.payment(s, t).items()}
                if not terms:
                    continue
                for beta in eligible:
                    col = m.column(0.0, np.inf)
                    funding[beta][t].append(col)
                    terms[col] = 1.0
                m.row(terms, 0.0, 0.0)
        for b in budgets:
            spent: dict[int, float] = {}
            money = 0.0
            for t in self.years:
                if b.get("carryover", False):
                    money += value_at(b["amount"], t)
                    spent.update(dict.fromkeys(funding[b["id"]][t], 1.0))
                else:
                    money = value_at(b["amount"], t)
                    spent = dict.fromkeys(funding[b["id"]][t], 1.0)
                if spent:
                    m.row(dict(spent), -np.inf, money)

    # -- capability levels -------------------------------------------------------------------

    def level(self, cap: str, t: int) -> tuple[dict[int, float], float]:
        """l_{c,t} as (column → coefficient, constant): cumulative deliveries and use."""
        c = self.capability[cap]
        constant = value_at(c.get("initial", 0.0), t)
        constant -= sum(
            value_at(c.get("consumption", 0.0), tau) for tau in range(self.start, t + 1)
        )
        terms: dict[int, float] = {}
        for s, e in self.contributors[cap]:
            lead = int(s.get("lead_time", 0))
            for tau in range(self.start, t + 1):
                if (s["id"], tau - lead) in self.order:
                    _add(terms, self.order[s["id"], tau - lead], e)
            pipeline = {int(y): float(v) for y, v in (s.get("pipeline") or {}).items()}
            constant += e * sum(v for y, v in pipeline.items() if self.start <= y <= t)
        return terms, constant

    def _gaps(self) -> None:
        """g_{c,t} ≥ r_{c,t} − l_{c,t}, costed in the objective by w_c/r_{c,t}."""
        for c in self.doc["capabilities"]:
            weight = float(c.get("weight", 1.0))
            for t in self.delivery_years:
                required = value_at(c.get("requirement"), t)
                if required <= 0:
                    continue
                share = weight / required * (self.tail_weight if t > self.end else 1.0)
                gap = self.model.column(0.0, np.inf, cost=share)
                terms, constant = self.level(c["id"], t)
                terms[gap] = 1.0
                self.model.row(terms, required - constant, np.inf)

    # -- rules -------------------------------------------------------------------------------

    def _rules(self) -> None:
        for rule in self.doc.get("rules", []):
            if not rule.get("enabled", True) or rule["type"] == "exclude":
                continue
            if rule.get("buyers"):
                raise ValueError(f"rule {rule['id']}: buyers are not supported")
            if rule["type"] == "share":
                self._share(rule)
            elif rule["type"] == "deadline":
                self._deadline(rule)
            else:
                raise ValueError(f"rule {rule['id']}: type {rule['type']} not supported")

    def _share(self, rule: dict) -> None:
        """Σ_{Sel} q_s·pay ≥ v·Σ_A pay (≤ for max), over the horizon or each year."""
        measure = rule.get("measure", "spend")
        scope = rule.get("scope", "horizon")
        if measure not in ("spend", "content") or scope not in ("horizon", "per_year"):
            raise ValueError(f"rule {rule['id']}: {measure}/{scope} not supported")
        value = float(rule["value"])
        groups = [list(self.years)] if scope == "horizon" else [[t] for t in self.years]
        for years in groups:
            terms: dict[int, float] = {}
            for s in self.systems:
                if not self.select.matches(rule.get("among"), s):
                    continue
                part = 0.0
                if self.select.matches(rule.get("select"), s):
                    part = float(s.get("eu_content", 0.0)) if measure == "content" else 1.0
                for t in years:
                    for col, coef in self.payment(s, t).items():
                        _add(terms, col, (part - value) * coef)
            if rule.get("bound", "min") == "min":
                self.model.row(terms, 0.0, np.inf)
            else:
                self.model.row(terms, -np.inf, 0.0)

    def _deadline(self, rule: dict) -> None:
        """l_{c,t} ≥ fraction·r_{c,t} for the listed capabilities, horizon years ≥ ``year``."""
        fraction = float(rule.get("fraction", 1.0))
        for cap in rule["capabilities"]:
            c = self.capability[cap]
            for t in self.years:
                if t >= int(rule["year"]):
                    terms, constant = self.level(cap, t)
                    floor = fraction * value_at(c.get("requirement"), t) - constant
                    self.model.row(terms, floor, np.inf)


def _status(highs: highspy.Highs) -> str:
    status = highs.getModelStatus()
    has_plan = highs.getInfo().primal_solution_status == 2  # kSolutionStatusFeasible
    if status == highspy.HighsModelStatus.kOptimal:
        return "optimal"
    if status == highspy.HighsModelStatus.kTimeLimit:
        return "feasible-at-limit" if has_plan else "no-plan-at-limit"
    return highs.modelStatusToString(status)


def solve(
    source: str | Path | dict,
    mip_gap: float = 0.01,
    time_limit: float = 300.0,
    log_file: str | None = None,
) -> dict:
    """Build and solve the plain model; outcome, sizes and seconds as a flat dict.

    HiGHS keeps its default options except ``mip_rel_gap`` and ``time_limit`` (and, when
    asked, a log file, which changes nothing in the search).
    """
    began = time.perf_counter()
    plain = PlainModel(read(source))
    lp = plain.model.lp()
    built = time.perf_counter()
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", log_file is not None)
    highs.setOptionValue("log_to_console", False)
    if log_file is not None:
        highs.setOptionValue("log_file", log_file)
    highs.setOptionValue("mip_rel_gap", mip_gap)
    highs.setOptionValue("time_limit", time_limit)
    highs.passModel(lp)
    passed = time.perf_counter()
    highs.run()
    done = time.perf_counter()
    info = highs.getInfo()
    status = _status(highs)
    has_plan = info.primal_solution_status == 2
    return {
        "status": status,
        "objective": info.objective_function_value if has_plan else None,
        "bound": info.mip_dual_bound,
        "gap": info.mip_gap if has_plan else None,
        "build_s": built - began,
        "pass_s": passed - built,
        "solve_s": done - passed,
        "columns": lp.num_col_,
        "rows": lp.num_row_,
        "nonzeros": len(plain.model.value),
        "integer_columns": sum(plain.model.integer),
        "nodes": info.mip_node_count,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--mip-gap", type=float, default=0.01)
    parser.add_argument("--time-limit", type=float, default=300.0)
    parser.add_argument("--log-file", default=None)
    args = parser.parse_args(argv)
    print(json.dumps(solve(args.scenario, args.mip_gap, args.time_limit, args.log_file)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
