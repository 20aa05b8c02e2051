"""A constructive plan to start from: greedy orders and expansion steps (issue 16).

Doing nothing breaks deadlines and investment floors, so a scenario with either had no
plan until HiGHS found one (at 3000×30, minutes). ``greedy_plan`` builds one in three
passes, each purchase checked against what it must respect:

1. investment floors (``min_investment`` with an amount): the cheapest expansion steps
   of the selected lines, earliest first, until each floor is met;
2. deadlines: year by year from the rule's year, the units cheapest per unit of the
   capability that arrive in time, until the level holds;
3. the rest of the money: orders by weighted gap closed per unit of money (a lazy
   priority queue), each order up to the point where the first gap it closes is closed.

Every purchase respects the lines' capacities (with the steps bought), the budgets (with
their eligibility, payers and carryover), exclusions, and the linear rows of share,
interoperability and share-based investment rules (their slack must stay ≥ 0); a system
new to a buyer pays its adoption in its first order's year, and ``max_types`` limits the
systems a buyer group may take up. ``max_supplier_share`` and ``joint`` are not modelled
here (joint budgets are left unused): the solve step completes the plan with HiGHS, every
order and step fixed, which checks every row; a plan that breaks one is not used.

The plan is a guess, not an optimum: its only job is to be feasible and decent, so that a
solve stopped at its limit has an answer.
"""

import heapq
import math
import time
from collections import defaultdict
from typing import Any

import numpy as np
import pyomo.environ as pyo

from models import Scenario
from optimizer.model.formulation import levels_without_orders

TOLERANCE = 1e-7


class Money:
    """What each budget may still pay, year by year (carryover: cumulatively)."""

    def __init__(self, m: pyo.ConcreteModel, scenario: Scenario):
        self.start = scenario.horizon.start
        years = list(scenario.years)
        joint = {beta for r in scenario.enabled_rules if r.type == "joint" for beta in r.budgets}
        self.amount = {
            b.id: np.array([scenario.series(b.amount)[t] for t in years], dtype=float)
            for b in scenario.budgets
        }
        self.spent = {beta: np.zeros(len(years)) for beta in self.amount}
        self.carryover = {b.id: b.carryover for b in scenario.budgets}
        funding = defaultdict(list)  # (b, s, t) -> budgets that may pay, restricted ones first
        for beta, b, s, t in m.FUNDING:
            if beta not in joint:  # joint money needs partners: left to HiGHS
                funding[b, s, t].append(beta)
        size = {b.id: len(scenario.select(b.eligible)) for b in scenario.budgets}
        self.sources = {
            key: sorted(betas, key=lambda beta: (size[beta], self.carryover[beta]))
            for key, betas in funding.items()
        }

    def room(self, beta: str, t: int) -> float:
        """What ``beta`` can still pay in year ``t`` without breaking a later year."""
        i = t - self.start
        if not self.carryover[beta]:
            return float(self.amount[beta][i] - self.spent[beta][i])
        left = np.cumsum(self.amount[beta]) - np.cumsum(self.spent[beta])
        return float(left[i:].min())

    def available(self, b: str, s: str, t: int) -> float:
        """All that the budgets able to pay b's bill for s in t can still give."""
        return sum(max(0.0, self.room(beta, t)) for beta in self.sources.get((b, s, t), []))

    def pay(self, b: str, s: str, t: int, amount: float) -> list[tuple[str, int, float]] | None:
        """Spend ``amount`` on b's bill for s in t; the portions paid, or None (nothing spent)."""
        if amount <= TOLERANCE:
            return []
        if self.available(b, s, t) < amount - TOLERANCE:
            return None
        portions, left = [], amount
        for beta in self.sources.get((b, s, t), []):
            part = min(left, max(0.0, self.room(beta, t)))
            if part > 0:
                self.spent[beta][t - self.start] += part
                portions.append((beta, t, part))
                left -= part
            if left <= TOLERANCE:
                break
        return portions

    def refund(self, portions: list[tuple[str, int, float]], sign: int = 1) -> None:
        """Give back what ``pay`` spent (``sign`` −1: spend it again)."""
        for beta, t, part in portions:
            self.spent[beta][t - self.start] -= sign * part


class Rows:
    """The slack of every linear rule row the greedy respects: Σ coefficient·amount ≥ 0.

    A row is keyed by its rule, buyer group and scope (a year or a capability). Payments
    move money rows (shares of spend or content, share-based investment floors); units
    move unit rows (capability shares, interoperability), per_year ones in the year the
    units arrive.
    """

    def __init__(self, m: pyo.ConcreteModel, scenario: Scenario):
        self.slack: dict[tuple, float] = defaultdict(float)
        # (b, s, kind) -> [(row key, coefficient per unit of money, keyed by year)]
        self.money: dict[tuple, list] = defaultdict(list)
        # (b, s) -> [(row key, coefficient per unit ordered, keyed by arrival year)]
        self.units: dict[tuple, list] = defaultdict(list)
        self.scenario = scenario
        self.contributes = {s.id: s.contributes for s in scenario.systems}
        add = {"share": self._share, "interoperability": self._interoperability}
        for rule in scenario.enabled_rules:
            if rule.type == "min_investment" and rule.share is not None:
                add[rule.type] = self._investment_share
            for g, group in enumerate(scenario.buyer_groups(rule)):
                if rule.type in add:
                    add[rule.type](rule, (rule.id, g), group)

    def _share(self, rule: Any, key: tuple, group: list[str]) -> None:
        """Σ_A (q_s − v)·amount ≥ 0 (min) or Σ_A (v − q_s)·amount ≥ 0 (max)."""
        chosen = set(self.scenario.select(rule.select))
        among = set(self.scenario.select(rule.among))
        sign = 1 if rule.bound == "min" else -1
        for system in self.scenario.systems:
            s = system.id
            if s not in among:
                continue
            part = (system.eu_content if rule.measure == "content" else 1.0) if s in chosen else 0
            coef = sign * (part - rule.value)
            for b in group:
                if rule.measure == "capability":
                    for c, e in self.contributes[s].items():
                        self.units[b, s].append(((*key, c), coef * e, rule.scope == "per_year"))
                    continue
                for kind in ("order", "expansion"):
                    if rule.scope == "per_capability":
                        for c in self.contributes[s]:
                            self.money[b, s, kind].append(((*key, c), coef, False))
                    else:
                        self.money[b, s, kind].append((key, coef, rule.scope == "per_year"))

    def _interoperability(self, rule: Any, key: tuple, group: list[str]) -> None:
        """Σ_s (ι_s − v)·e_{s,c}·units ≥ 0 per capability."""
        capabilities = rule.capabilities or [c.id for c in self.scenario.capabilities]
        for system in self.scenario.systems:
            gain = system.interoperability - rule.value
            for b in group:
                for c in capabilities:
                    if c in system.contributes:
                        row = ((*key, c), gain * system.contributes[c], rule.scope == "per_year")
                        self.units[b, system.id].append(row)

    def _investment_share(self, rule: Any, key: tuple, group: list[str]) -> None:
        """Σ_{chosen} expansion money − share·Σ all money ≥ 0."""
        chosen = set(self.scenario.select(rule.select))
        for s in self.contributes:
            for b in group:
                self.money[b, s, "order"].append((key, -rule.share, False))
                own = (1 - rule.share) if s in chosen else -rule.share
                self.money[b, s, "expansion"].append((key, own, False))

    def changes(self, payments: list, units: list) -> dict[tuple, float]:
        """The change of each row touched by ``payments`` and ``units``.

        ``payments`` are (b, s, year paid, amount, kind); ``units`` (b, s, arrival, quantity).
        """
        change: dict[tuple, float] = defaultdict(float)
        for b, s, t, amount, kind in payments:
            for row, coef, by_year in self.money.get((b, s, kind), ()):
                change[(*row, t) if by_year else row] += coef * amount
        for b, s, year, quantity in units:
            for row, coef, by_year in self.units.get((b, s), ()):
                change[(*row, year) if by_year else row] += coef * quantity
        return change

    def fits(self, change: dict[tuple, float]) -> bool:
        """Whether every row touched stays at slack ≥ 0 (or does not lose any if below)."""
        return all(
            self.slack[row] + delta >= -TOLERANCE or delta >= 0 for row, delta in change.items()
        )

    def apply(self, change: dict[tuple, float]) -> None:
        """Make the ``change`` (one that ``fits``)."""
        for row, delta in change.items():
            self.slack[row] += delta


class Greedy:
    """The plan under construction: orders, steps, and what they use up."""

    def __init__(self, m: pyo.ConcreteModel, scenario: Scenario):
        self.m, self.scenario = m, scenario
        self.money = Money(m, scenario)
        self.rows = Rows(m, scenario)
        self.order: dict[tuple, float] = defaultdict(float)
        self.steps: dict[tuple, int] = defaultdict(int)
        self.used: dict[tuple, float] = defaultdict(float)  # (s, order year) -> units
        self.price = {s.id: scenario.series(s.unit_cost) for s in scenario.systems}
        self.adopted: dict[tuple, tuple[int, list]] = {}  # (b, s) -> (year, portions)
        self.needs_adoption = {(b, s) for b, s, _ in m.ADOPTIONS}
        excluded = set()
        for rule in scenario.enabled_rules:
            if rule.type == "exclude":
                first = rule.from_year if rule.from_year is not None else scenario.horizon.start
                last = rule.until_year if rule.until_year is not None else scenario.horizon.end
                systems = set(scenario.select(rule.systems))
                for group in scenario.buyer_groups(rule):
                    excluded |= {
                        (b, s, t) for b, s, t in m.ORDERS
                        if b in group and s in systems and first <= t <= last
                    }  # fmt: skip
        self.orders = [key for key in m.ORDERS if key not in excluded]
        self.types = self._types()
        self.years = list(scenario.delivery_years)
        self.level = {
            (b, c): np.array(levels_without_orders(m, scenario, b, c)) for b, c in m.LEVELS
        }

    def _types(self) -> list[tuple[int, list[str], set[str], set[str]]]:
        """Each max_types limit: (value, its buyers, its capabilities, systems taken up)."""
        limits = []
        for rule in self.scenario.enabled_rules:
            if rule.type == "max_types":
                caps = set(rule.capabilities or self.m.CAPABILITIES)
                for group in self.scenario.buyer_groups(rule):
                    limits.append((rule.value, group, caps, set()))
        return limits

    def _new_type_allowed(self, b: str, s: str) -> bool:
        contributes = self.m.system[s].contributes
        for value, group, caps, taken in self.types:
            if b in group and s not in taken:
                for c in caps & set(contributes):
                    if sum(1 for o in taken if c in self.m.system[o].contributes) >= value:
                        return False
        return True

    def room(self, s: str, t: int) -> float:
        """Units of s an order in year t may still take from the line."""
        system = self.m.system[s]
        arrival = t + system.lead_time
        cap = self.m.yearly_capacity[s][arrival]
        if system.expansion is not None:
            steps = sum(
                n for (line, tau), n in self.steps.items()
                if line == s and tau <= arrival - system.expansion.ramp_up
            )  # fmt: skip
            cap += system.expansion.capacity * steps
        return max(0.0, cap - self.used[s, t])

    def buy(self, b: str, s: str, t: int, quantity: float) -> bool:
        """Order ``quantity`` of s for b in t if everything still holds; whether it was ordered."""
        m = self.m
        if quantity <= TOLERANCE or quantity > self.room(s, t) + TOLERANCE:
            return False
        if not self._new_type_allowed(b, s):
            return False
        payments = [(b, s, t, self.price[s][t] * quantity, "order")]
        refund = None
        adoption = m.system[s].adoption_cost
        if (b, s) in self.needs_adoption:
            year, portions = self.adopted.get((b, s), (None, []))
            if year is None or t < year:  # adopt now (moving an adoption paid later)
                payments.append((b, s, t, adoption, "order"))
                if year is not None:
                    refund = (year, portions)
        change = self.rows.changes(payments, [(b, s, t + m.system[s].lead_time, quantity)])
        if refund is not None:
            for row, delta in self.rows.changes([(b, s, refund[0], adoption, "order")], []).items():
                change[row] -= delta
        if not self.rows.fits(change):
            return False
        if refund is not None:
            self.money.refund(refund[1])
        paid = []
        for _, _, year, amount, _ in payments:
            portions = self.money.pay(b, s, year, amount)
            if portions is None:
                for done in paid:
                    self.money.refund(done)
                if refund is not None:
                    self.money.refund(refund[1], sign=-1)
                return False
            paid.append(portions)
        if len(payments) == 2:
            self.adopted[b, s] = (t, paid[1])
        self.rows.apply(change)
        self.order[b, s, t] += quantity
        self.used[s, t] += quantity
        for _, group, _, taken in self.types:
            if b in group:
                taken.add(s)
        self._deliver(b, s, t + m.system[s].lead_time, quantity)
        return True

    def _deliver(self, b: str, s: str, arrival: int, quantity: float) -> None:
        i = arrival - self.years[0]
        for c, e in self.m.system[s].contributes.items():
            if (b, c) in self.level:
                self.level[b, c][i:] += e * quantity

    def expand(self, b: str, s: str, t: int) -> bool:
        """Buy one expansion step of line s in year t, paid by b; whether it was bought."""
        system = self.m.system[s]
        if sum(n for (line, _), n in self.steps.items() if line == s) >= system.expansion.max_steps:
            return False
        payment = (b, s, t, system.expansion.cost, "expansion")
        change = self.rows.changes([payment], [])
        if not self.rows.fits(change):
            return False
        if self.money.pay(b, s, t, system.expansion.cost) is None:
            return False
        self.rows.apply(change)
        self.steps[s, t] += 1
        return True

    def largest(self, b: str, s: str, t: int, wanted: float) -> float:
        """The most of s (up to ``wanted``) that b can order in t: capacity and money."""
        price = self.price[s][t]
        quantity = min(wanted, self.room(s, t))
        if price > 0:
            quantity = min(quantity, self.money.available(b, s, t) / price)
        if self.m.system[s].integer:
            quantity = math.floor(quantity + TOLERANCE)
        return quantity

    def buy_most(self, b: str, s: str, t: int, wanted: float) -> float:
        """Order as much as fits of ``wanted`` (halving on a refusal); the quantity ordered."""
        quantity = self.largest(b, s, t, wanted)
        integer = self.m.system[s].integer
        while quantity > (0.5 if integer else 1e-3):
            if self.buy(b, s, t, quantity):
                return quantity
            quantity = math.floor(quantity / 2) if integer else quantity / 2
        return 0.0

    # --- the three passes ---

    def meet_floors(self) -> bool:
        """Expansion steps until every amount floor holds; whether they all do."""
        m = self.m
        for rule in self.scenario.enabled_rules:
            if rule.type != "min_investment" or rule.amount is None:
                continue
            chosen = set(self.scenario.select(rule.select))
            for group in self.scenario.buyer_groups(rule):
                lines = sorted(
                    ((s, t) for s, t in m.EXPANSIONS if s in chosen),
                    key=lambda st: (m.system[st[0]].expansion.cost, st[1]),
                )
                cost = {s: m.system[s].expansion.cost for s in chosen if m.system[s].expansion}
                invested = sum(cost[s] * n for (s, _), n in self.steps.items() if s in chosen)
                while invested < rule.amount - TOLERANCE:
                    bought = next(
                        ((s, t) for s, t in lines for b in group if self.expand(b, s, t)), None
                    )
                    if bought is None:
                        return False
                    invested += m.system[bought[0]].expansion.cost
        return True

    def meet_deadlines(self) -> bool:
        """Orders until every deadline's levels hold; whether they all do."""
        m, scenario = self.m, self.scenario
        rules = [r for r in scenario.enabled_rules if r.type == "deadline"]
        rules.sort(key=lambda r: r.year)
        for rule in rules:
            for group in scenario.buyer_groups(rule):
                for c in rule.capabilities:
                    needing = [b for b in group if (b, c) in m.LEVELS]
                    if not needing:
                        continue
                    requirement = {b: scenario.series(m.needs[b][c].requirement) for b in needing}
                    for t in m.YEARS:
                        if t < rule.year:
                            continue
                        target = rule.fraction * sum(requirement[b][t] for b in needing)
                        if not self._raise(needing, c, t, target):
                            return False
        return True

    def _raise(self, buyers: list[str], c: str, t: int, target: float) -> bool:
        """Orders arriving by t until Σ_b level_{b,c,t} ≥ target; whether it is reached."""
        i = t - self.years[0]
        candidates = sorted(
            (
                (self.price[s][tau] / e, b, s, tau)
                for b, s, tau in self.orders
                if b in buyers and tau + self.m.system[s].lead_time <= t
                for e in [self.m.system[s].contributes.get(c, 0.0)]
                if e > 0
            ),
            key=lambda item: item[0],
        )
        for _, b, s, tau in candidates:
            short = target - sum(self.level[x, c][i] for x in buyers)
            if short <= TOLERANCE:
                return True
            e = self.m.system[s].contributes[c]
            wanted = math.ceil(short / e - TOLERANCE) if self.m.system[s].integer else short / e
            self.buy_most(b, s, tau, wanted)
        return target - sum(self.level[x, c][i] for x in buyers) <= 1e-6

    def close_gaps(self, until: float = math.inf) -> None:
        """Orders by weighted gap closed per unit of money, while any closes a gap.

        Stops at ``until`` (``time.perf_counter()``): every order keeps the plan feasible.
        """
        m, scenario = self.m, self.scenario
        end, tail_weight = scenario.horizon.end, scenario.horizon.tail_weight
        requirement = {(b, c): scenario.series(m.needs[b][c].requirement) for b, c in m.LEVELS}
        weight = {
            (b, c.id): scenario.buyer_weight(b) * c.weight
            for b in m.BUYERS
            for c in scenario.capabilities
        }
        per_unit = {}  # (b, c) -> weight of one unit of gap, by delivery year
        for b, c in m.LEVELS:
            r = np.array([requirement[b, c][t] for t in self.years])
            scale = np.array([tail_weight if t > end else 1.0 for t in self.years])
            per_unit[b, c] = np.divide(weight[b, c] * scale, r, out=np.zeros_like(r), where=r > 0)

        def worth(b: str, c: str) -> np.ndarray:
            """Weighted gap closed by one unit of c from each delivery year on."""
            r = np.array([requirement[b, c][t] for t in self.years])
            open_ = (r - self.level[b, c]) > TOLERANCE
            return np.cumsum((per_unit[b, c] * open_)[::-1])[::-1]

        suffix = {bc: worth(*bc) for bc in m.LEVELS}

        def ratio(b: str, s: str, t: int) -> float:
            system = m.system[s]
            i = t + system.lead_time - self.years[0]
            contributes = system.contributes.items()
            value = sum(e * suffix[b, c][i] for c, e in contributes if (b, c) in suffix)
            price = self.price[s][t]
            return value / price if price > 0 else value * 1e9

        queue = [(-ratio(b, s, t), b, s, t) for b, s, t in self.orders]
        queue = [item for item in queue if item[0] < 0]
        heapq.heapify(queue)
        while queue and time.perf_counter() < until:
            _, b, s, t = heapq.heappop(queue)
            now = ratio(b, s, t)
            if now <= 0:
                continue
            if queue and -now > queue[0][0] + 1e-12:
                heapq.heappush(queue, (-now, b, s, t))  # worth less than thought: wait its turn
                continue
            system = m.system[s]
            i = t + system.lead_time - self.years[0]
            closing = [
                (requirement[b, c][y] - self.level[b, c][j]) / e
                for c, e in system.contributes.items()
                if (b, c) in self.level
                for j, y in enumerate(self.years[i:], start=i)
                if requirement[b, c][y] - self.level[b, c][j] > TOLERANCE
            ]
            wanted = min(closing)
            if system.integer:
                wanted = max(1, math.ceil(wanted - TOLERANCE))
            if self.buy_most(b, s, t, wanted) <= 0:
                continue  # nothing more fits: dropped
            for c in system.contributes:
                if (b, c) in suffix:
                    suffix[b, c] = worth(b, c)
            heapq.heappush(queue, (-ratio(b, s, t), b, s, t))


def greedy_plan(
    m: pyo.ConcreteModel, scenario: Scenario, seconds: float = math.inf
) -> list[tuple] | None:
    """Orders and expansion steps that meet the floors and deadlines, or None if it fails.

    ``(variable, value)`` for every ``order`` and ``expansion_steps`` variable. The third
    pass stops after ``seconds`` and is skipped when it has none (the first two are needed
    for a plan at all).
    """
    began = time.perf_counter()
    if scenario.objective.risk:
        return None  # a robust model's sample levels are not built here
    greedy = Greedy(m, scenario)
    if not (greedy.meet_floors() and greedy.meet_deadlines()):
        return None
    if seconds > 0:
        greedy.close_gaps(until=began + seconds)
    plan = [(m.order[key], greedy.order.get(key, 0.0)) for key in m.ORDERS]
    steps = [(m.expansion_steps[key], greedy.steps.get(key, 0)) for key in m.EXPANSIONS]
    return plan + steps
