"""Does the time limit hold? (issue 16, part 4): wall time of ``solve()`` against its limit.

For each family × rung × seed, a fresh process reads, builds and solves the scenario with
a time limit shorter than the solve needs, and the whole call is timed. The target: the
wall time exceeds the limit by at most max(10 % of it, 2 s).

    python benchmarks/time_limit.py --rungs 200x15:3 1000x20:6,20 3000x30:30 --seeds 0 1 \\
        --out benchmarks/results/2026-12-03-time-limit.csv
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import families  # noqa: E402  (a sibling script, not a package)
from record import commit, write_rows  # noqa: E402

CHILD = """
import json, sys, time
from optimizer import solve
began = time.perf_counter()
result = solve(sys.argv[1], time_limit=float(sys.argv[2]), mip_gap=0.0001)
print(json.dumps({"wall": time.perf_counter() - began, "status": result.status,
                  "message": result.message, "timings": result.timings}))
"""


def measure(path: Path, limit: float) -> dict:
    """One solve of ``path`` with ``limit`` in a fresh process: the wall time of ``solve()``."""
    run = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(limit)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(run.stdout.strip().splitlines()[-1])


def _line(row: dict) -> str:
    return (
        f"{row['family']:10} {row['rung']:8} s{row['seed']} limit {row['limit']:5.1f}: "
        f"wall {row['wall']:6.1f} (overrun {row['overrun']:+.1f}, allowed {row['allowed']:.1f}) "
        f"{row['status']}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rungs", nargs="+", required=True, help="RUNG:LIMIT[,LIMIT...]")
    parser.add_argument("--families", nargs="+", default=list(families.FAMILIES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for item in args.rungs:
            rung, limits = item.split(":")
            for family in args.families:
                for seed in args.seeds:
                    path = families.write(family, rung, Path(folder), seed)
                    for limit in map(float, limits.split(",")):
                        found = measure(path, limit)
                        allowed = max(0.1 * limit, 2.0)
                        row = {
                            "family": family, "rung": rung, "seed": seed, "limit": limit,
                            "wall": round(found["wall"], 2),
                            "overrun": round(found["wall"] - limit, 2),
                            "allowed": allowed, "held": found["wall"] - limit <= allowed,
                            "status": found["status"], "message": found["message"],
                            "solve_total": round(found["timings"]["total"], 2),
                            "commit": commit(),
                        }  # fmt: skip
                        rows.append(row)
                        print(_line(row), flush=True)
    write_rows(args.out, list(rows[0]), rows)
    held = sum(r["held"] for r in rows)
    print(f"held {held} of {len(rows)}; worst overrun {max(r['overrun'] for r in rows):+.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
