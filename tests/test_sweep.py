"""Sweeps (DESIGN §10): grids, breakpoints, samples, streaming, resuming, failed runs.

The micro scenario: 10 units of one capability from a US system (price 1, EU content 0.3)
or a European one (price 1.5, content 0.8), both divisible and in service, money ample;
the rule ``content`` asks for an EU content share ≥ v of spending over the horizon.
By hand: for v ≤ 0.3 the US system alone meets it (spend 10). Above 0.3 the cheapest
plan mixes in q European units with (0.3·(10−q) + 1.2·q) / (10 + 0.5·q) = v, so
q = (10v − 3) / (0.9 − 0.5v) and spend 10 + 0.5·q: at v = 0.5, q = 3.0769, spend 11.538.
The plan's choice switches at v = 0.3 (the European system enters).
"""

import json
import subprocess
import sys
import time

import pandas as pd
import pytest
from processes import alive, children
from typer.testing import CliRunner

from optimizer import sweep
from optimizer.cli import app

GAP = 1e-3  # the weighted gap the cost stage may give up (1e-6) in units of 10


def content_micro(micro, **overrides):
    return micro(
        suppliers=[{"id": "us", "country": "US"}, {"id": "eu", "country": "DE"}],
        systems=[
            {
                "id": "us_sys",
                "supplier": "us",
                "unit_cost": 1,
                "eu_content": 0.3,
                "integer": False,
                "in_service": True,
            },
            {
                "id": "eu_sys",
                "supplier": "eu",
                "unit_cost": 1.5,
                "eu_content": 0.8,
                "integer": False,
                "in_service": True,
            },
        ],
        rules=[
            {
                "id": "content",
                "type": "share",
                "select": {},
                "measure": "content",
                "bound": "min",
                "value": 0.2,
                "scope": "horizon",
            }
        ],
        **overrides,
    )


def comparable(runs: pd.DataFrame) -> pd.DataFrame:
    timing = [c for c in runs.columns if c.startswith("time.")]
    return runs.drop(columns=timing).sort_values("key").reset_index(drop=True)


def test_grid_gives_the_hand_computed_spend_on_the_pool_and_on_dask(micro):
    doc = content_micro(micro)
    grid = ["rules.content.value=0.2,0.3,0.5"]
    local = sweep(doc, vary=grid, jobs=2, audit=True)
    runs = local.runs.set_index("rules.content.value")
    assert list(runs["status"]) == ["optimal"] * 3
    assert list(runs["violations"]) == [0, 0, 0]  # every plan passes the audit
    assert runs["total_spend"].tolist() == pytest.approx([10, 10, 11.538], abs=GAP)
    assert runs.loc[0.3, "plan_systems"] == "us_sys"
    assert runs.loc[0.5, "plan_systems"] == "eu_sys,us_sys"
    pytest.importorskip("distributed")
    on_dask = sweep(doc, vary=grid, engine="dask", jobs=2, audit=True)
    pd.testing.assert_frame_equal(comparable(local.runs), comparable(on_dask.runs))


def test_a_cartesian_grid_and_a_range(micro):
    # 0.2:0.4:0.1 is three values; with two budgets, six runs. With money 11 at v = 0.4
    # (q = 1/0.7 = 1.4286, spend 10.714) the budget still suffices: the gap stays 0.
    found = sweep(
        content_micro(micro),
        vary=["rules.content.value=0.2:0.4:0.1", "budgets.money.amount=100,11"],
        jobs=1,
    )
    assert len(found.runs) == 6
    assert sorted(found.runs["rules.content.value"].unique()) == [0.2, 0.3, 0.4]
    at = found.runs.set_index(["rules.content.value", "budgets.money.amount"])
    assert at.loc[(0.4, 11), "total_spend"] == pytest.approx(10 + 0.5 / 0.7, abs=GAP)


def test_the_breakpoint_is_found_by_bisection_within_the_tolerance(micro):
    found = sweep(
        content_micro(micro), breakpoints="rules.content.value=0.1:0.6", tolerance=0.005, jobs=2
    )
    assert len(found.breakpoints) == 1
    point = found.breakpoints.iloc[0]
    assert point["below"] <= 0.3 < point["above"] and point["above"] - point["below"] <= 0.005
    assert point["entered"] == "eu_sys" and point["left"] == ""
    assert len(found.runs) < 101  # a grid at the same resolution solves 101 values
    # on Dask the bisection's rounds are batches on one cluster: the same search, run by run
    pytest.importorskip("distributed")
    on_dask = sweep(
        content_micro(micro),
        breakpoints="rules.content.value=0.1:0.6",
        tolerance=0.005,
        engine="dask",
        jobs=2,
    )
    pd.testing.assert_frame_equal(found.breakpoints, on_dask.breakpoints)
    pd.testing.assert_frame_equal(comparable(found.runs), comparable(on_dask.runs))


def test_a_failed_run_is_a_row_and_the_sweep_goes_on(micro):
    found = sweep(content_micro(micro), vary=["rules.content.value=0.5,1.5"], jobs=1)
    runs = found.runs.set_index("rules.content.value")
    assert runs.loc[0.5, "status"] == "optimal"
    assert runs.loc[1.5, "status"] == "invalid"
    assert runs.loc[1.5, "reason"] == "rules[0] (content).value: must be ≤ 1"


def test_a_run_that_overruns_is_stopped_and_recorded(micro):
    # each run starts a fresh worker (a second and more) after the one before was stopped,
    # so a limit of 0.2 s stops them all; the sweep still ends with a row each
    found = sweep(
        content_micro(micro), vary=["rules.content.value=0.2,0.5"], jobs=1, run_timeout=0.2
    )
    assert list(found.runs["status"]) == ["timeout", "timeout"]
    assert found.runs["reason"].str.contains("overran the run time limit of 0.2 s").all()


def test_samples_replan_each_draw(micro):
    # capacity halves in half of the draws: the best plan then leaves 5 of 10 short
    # (weighted gap 0.5), else none; each row's gap follows its own draw
    doc = micro(
        uncertainty=[{"id": "short", "field": "capacity", "multiply": {"choice": [0.5, 1.0]}}]
    )
    found = sweep(doc, samples=8, seed=3, jobs=2)
    factors = found.runs["drawn.capacity.sys"]
    assert set(factors) == {0.5, 1.0}
    assert found.runs["weighted_gap"].tolist() == pytest.approx((1 - factors).tolist(), abs=GAP)
    spread = found.distributions().set_index("kpi")
    assert spread.loc["weighted_gap", "mean"] == pytest.approx(
        0.5 * (factors == 0.5).mean(), abs=GAP
    )


def test_the_cli_streams_to_a_folder_and_refuses_to_overwrite(micro, tmp_path):
    path = tmp_path / "micro.json"
    path.write_text(json.dumps(content_micro(micro)))
    out = tmp_path / "sweep"
    args = [
        "sweep",
        str(path),
        "--vary",
        "rules.content.value=0.2,0.5",
        "--out",
        str(out),
        "--jobs",
        "1",
        "--format",
        "json",
    ]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    document = json.loads(first.stdout)
    assert [r["status"] for r in document["runs"]] == ["optimal", "optimal"]
    assert len(list((out / "runs").glob("*.parquet"))) == 2
    assert len(pd.read_csv(out / "runs.csv")) == 2
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 2 and "--resume" in again.output
    other = CliRunner().invoke(app, [*args[:3], "rules.content.value=0.3", *args[4:], "--resume"])
    assert other.exit_code == 2 and "vary differs" in other.output


def test_a_killed_sweep_resumes_with_every_run_exactly_once(micro, tmp_path):
    path = tmp_path / "micro.json"
    path.write_text(json.dumps(content_micro(micro)))
    out = tmp_path / "sweep"
    values = ",".join(f"{v / 100:g}" for v in range(20, 60, 2))  # 20 runs
    command = [
        sys.executable,
        "-m",
        "optimizer.cli",
        "sweep",
        str(path),
        "--vary",
        f"rules.content.value={values}",
        "--out",
        str(out),
        "--jobs",
        "1",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(list((out / "runs").glob("*.parquet"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = children(process.pid)
    process.kill()  # kill -9 of the sweep alone, mid-run
    process.wait()
    # its workers notice and end too (within a second or two), rather than run on orphaned
    deadline = time.monotonic() + 30
    while any(map(alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(map(alive, workers))
    kept = {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("*.parquet")}
    assert 3 <= len(kept) < 20
    resumed = subprocess.run(
        [*command, "--resume", "--format", "csv"], capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 20 and runs["key"].is_unique
    assert runs["status"].eq("optimal").all()
    files = {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("*.parquet")}
    assert len(files) == 20
    assert all(files[name] == mtime for name, mtime in kept.items())  # not run again


def test_breakpoints_with_a_report(micro, tmp_path):
    path = tmp_path / "micro.json"
    path.write_text(json.dumps(content_micro(micro)))
    out = tmp_path / "sweep"
    done = CliRunner().invoke(
        app,
        [
            "sweep",
            str(path),
            "--breakpoints",
            "rules.content.value=0.1:0.6",
            "--tolerance",
            "0.01",
            "--out",
            str(out),
            "--report",
            "--jobs",
            "2",
        ],
    )
    assert done.exit_code == 0, done.output
    assert "entered eu_sys" in done.stdout
    page = (out / "report.html").read_text()
    assert "Where the plan changes" in page and "entered eu_sys" in page
    assert (out / "charts" / "kpis.png").is_file()
    found = pd.read_csv(out / "breakpoints.csv")
    assert len(found) == 1 and found["below"][0] <= 0.3 < found["above"][0]


def test_a_draw_applied_to_the_scenario_slips_the_pipeline_and_scales_expansion(micro):
    from optimizer.input.draws import apply_draw
    from optimizer.input.load import load_scenario

    scenario = load_scenario(
        micro(
            years=3,
            system={"lead_time": 1, "pipeline": {2026: 4}, "expansion": {"cost": 5, "capacity": 2}},
        )
    )
    drawn = apply_draw(
        scenario,
        {"lead_time.sys": 1.0, "capacity.sys": 0.5, "unit_cost.sys": 1.2, "amount.money": 0.9},
    )
    system = drawn.systems[0]
    assert system.lead_time == 2 and system.pipeline == {2027: 4}
    assert system.capacity == {0: 5.0} and system.expansion.capacity == 1.0
    assert system.unit_cost == {0: pytest.approx(1.2)} and drawn.budgets[0].amount == {0: 90.0}


@pytest.mark.parametrize(
    "vary, problem",
    [
        ("rules.nothing.value=0.5", "no item with id 'nothing'"),
        ("rules.content.valu=0.5", "rules.content.valu: names no field of the scenario"),
    ],
)
def test_a_path_that_names_nothing_exits_2_before_any_solve(micro, tmp_path, vary, problem):
    path = tmp_path / "micro.json"
    path.write_text(json.dumps(content_micro(micro)))
    done = CliRunner().invoke(app, ["sweep", str(path), "--vary", vary])
    assert done.exit_code == 2 and problem in done.output
    assert "Traceback" not in done.output


def test_the_dask_engine_without_dask_exits_2(micro, tmp_path, monkeypatch):
    import importlib.util

    path = tmp_path / "micro.json"
    path.write_text(json.dumps(content_micro(micro)))
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "distributed" else real(name, *a),
    )
    done = CliRunner().invoke(
        app,
        [
            "sweep",
            str(path),
            "--vary",
            "rules.content.value=0.5",
            "--engine",
            "dask",
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert done.exit_code == 2 and "pip install 'dualtrack[dask]'" in done.output
    assert not (tmp_path / "out").exists()  # refused before anything is written
