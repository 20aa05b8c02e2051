"""Hostile input and interrupted work (issue 17): each hole found by probing, closed.

Every case must end in exit 2 with a path (or the limit named), no traceback, quickly and
in bounded memory; nothing already written may be lost or half-written; no worker may
outlive its command.
"""

import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from processes import alive, children
from typer.testing import CliRunner

from optimizer.analysis.pool import kill, new_pool, starting
from optimizer.cli import app
from optimizer.input.limits import MAX_DEPTH, MAX_NODES

LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"b{i}: &b{i} [{', '.join(['*' + ('a' if i == 1 else f'b{i - 1}')] * 9)}]\n"
    for i in range(1, 10)
)  # 1 KB of YAML that expands to 9^10 strings


def run(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output, result.output
    return result


def written(tmp_path, doc, name="doc.json", text=None):
    path = tmp_path / name
    path.write_text(text if text is not None else json.dumps(doc), encoding="utf-8")
    return path


def yaml_text(doc) -> str:
    from io import StringIO

    from ruamel.yaml import YAML

    stream = StringIO()
    YAML().dump(doc, stream)
    return stream.getvalue()


@pytest.mark.parametrize("patch", [None, "text", [1, 2]])
def test_a_variant_patch_that_is_not_a_mapping(micro, tmp_path, patch):
    path = written(tmp_path, micro(variants={"v": {"patch": patch}}))
    result = run("solve", path, "--variant", "v")
    assert result.exit_code == 2
    assert "variants.v.patch: must be a mapping" in result.output


def test_an_id_that_is_a_mapping_inside_a_patch(micro, tmp_path):
    doc = micro(variants={"v": {"patch": {"systems": [{"id": {"a": 1}, "unit_cost": 2}]}}})
    result = run("compare", written(tmp_path, doc))
    assert result.exit_code == 2 and "systems[0].id" in result.output


def test_a_set_path_with_a_digit_that_is_not_ascii(micro, tmp_path):
    result = run("solve", written(tmp_path, micro()), "--set", "budgets.money.amount.²=5")
    assert result.exit_code == 2
    assert "\nbudgets[0].amount.²: must be a whole number, not '²'" in result.output


def test_a_file_name_longer_than_the_file_system_allows():
    result = run("validate", "a" * 300)
    assert result.exit_code == 2 and "File name too long" in result.output


@pytest.mark.parametrize(
    "name, text",
    [("deep.json", "[" * 5000 + "]" * 5000), ("deep.yaml", "a: " + "[" * 5000 + "]" * 5000)],
)
def test_nesting_thousands_deep(tmp_path, name, text):
    result = run("validate", written(tmp_path, None, name, text))
    assert result.exit_code == 2 and f"nested deeper than {MAX_DEPTH}" in result.output


def test_a_recursive_alias(micro, tmp_path):
    text = yaml_text(micro()) + "variants:\n  v: &v\n    patch: {x: *v}\n"
    result = run("validate", written(tmp_path, None, "loop.yaml", text))
    assert result.exit_code == 2 and f"nested deeper than {MAX_DEPTH}" in result.output


def _limited(command, seconds=60, memory=1_500_000_000):
    """Run a dualtrack command in a child limited in address space; its exit and output."""

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "optimizer.cli", *map(str, command)],
        capture_output=True,
        text=True,
        timeout=seconds,
        preexec_fn=limit,
    )
    return done, time.monotonic() - began


@pytest.mark.parametrize("where", ["variants", "uncertainty"])
def test_billion_laughs_ends_in_exit_2_in_bounded_memory(micro, tmp_path, where):
    def indented(spaces):
        return "".join(" " * spaces + line + "\n" for line in LAUGHS.splitlines())

    if where == "variants":
        tail = "variants:\n  v:\n    patch:\n      bomb:\n" + indented(8)
    else:
        tail = "uncertainty:\n  - id: x\n    field: capacity\n    multiply: {choice: [1]}\n"
        tail += "    description:\n" + indented(6)
    path = written(tmp_path, None, "laughs.yaml", yaml_text(micro()) + tail)
    done, seconds = _limited(["solve", path, "--out", tmp_path / "out"])
    assert done.returncode == 2, done.stderr
    assert f"more than {MAX_NODES:,} values" in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_file_over_the_size_limit(micro, tmp_path, monkeypatch):
    from optimizer.input import load

    monkeypatch.setattr(load, "MAX_BYTES", 1000)
    path = written(tmp_path, micro(description="x" * 2000))
    result = run("validate", path)
    assert result.exit_code == 2 and "larger than the limit of 1,000 bytes" in result.output


def test_only_regular_files_are_read(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for target in (fifo, "/dev/zero", tmp_path):
        done, seconds = _limited(["validate", target], seconds=30)
        assert done.returncode == 2 and "not a regular file" in done.stderr


OPTIONS = [
    (["--mip-gap", "5"], "--mip-gap: must be ≤ 1"),
    (["--time-limit", "-5"], "--time-limit: must be > 0"),
    (["--threads", "-1"], "--threads: must be ≥ 1"),
]


@pytest.mark.parametrize(
    "command, option, message",
    [("solve", *o) for o in OPTIONS] + [("compare", *o) for o in OPTIONS[:2]],
)  # compare has no --threads: it runs one HiGHS thread per worker
def test_solver_options_on_the_command_line_are_checked_like_the_file(
    micro, tmp_path, command, option, message
):
    result = run(command, written(tmp_path, micro()), *option)
    assert result.exit_code == 2 and message in result.output


@pytest.mark.parametrize(
    "patch, path",
    [
        ({"system": {"capacity": float("inf"), "adoption_cost": 1}}, "systems[0].capacity"),
        ({"capability": {"requirement": 1e20}}, "capabilities[0].requirement"),
        ({"system": {"unit_cost": float("nan")}}, "systems[0].unit_cost"),
        ({"capability": {"requirement": 10, "weight": 1e300}}, "capabilities[0].weight"),
    ],
)
def test_numbers_the_solver_cannot_take_are_refused_with_their_path(micro, tmp_path, patch, path):
    result = run("solve", written(tmp_path, None, text=json.dumps(micro(**patch))))
    assert result.exit_code == 2
    assert result.output.startswith(f"{path}: ") and "the solver" in result.output


def test_coefficients_that_span_too_much_are_a_warning_with_paths(micro, tmp_path):
    doc = micro(system={"unit_cost": 1e-6}, budget={"amount": 1e5})
    result = run("validate", written(tmp_path, doc))
    assert result.exit_code == 0
    assert "warning: budgets[0].amount: 100000 is 1e+11 times systems[0].unit_cost" in (
        result.output
    )


def test_json_with_a_byte_order_mark_is_read_like_yaml(micro, tmp_path):
    path = written(tmp_path, None, text="\ufeff" + json.dumps(micro()))
    assert run("validate", path).exit_code == 0


def test_a_json_key_given_twice_is_refused_like_yaml(micro, tmp_path):
    text = json.dumps(micro())[:-1] + ', "name": "other"}'
    result = run("validate", written(tmp_path, None, text=text))
    assert result.exit_code == 2 and "duplicate key 'name'" in result.output


def test_a_negative_scalar_is_reported_at_its_own_path(micro, tmp_path):
    result = run("validate", written(tmp_path, micro(capability={"requirement": -1})))
    assert result.exit_code == 2
    assert result.output.startswith("capabilities[0].requirement: must be ≥ 0")


def test_a_full_disk_is_one_line_and_leaves_no_partial_output(micro, tmp_path, monkeypatch):
    import errno

    from optimizer.output import files

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out"))

    monkeypatch.setattr(files, "write_tables", full)
    result = run("solve", written(tmp_path, micro()), "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "cannot be written: No space left on device" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.json"]  # no staging left


def test_force_replaces_in_one_step(micro, tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert run("solve", written(tmp_path, micro()), "--out", out).exit_code == 0
    renames = []
    real = Path.rename
    monkeypatch.setattr(
        Path, "rename", lambda self, target: renames.append(self) or real(self, target)
    )
    assert run("solve", tmp_path / "doc.json", "--out", out, "--force").exit_code == 0
    assert renames == []  # swapped by one renameat2(RENAME_EXCHANGE): never absent
    assert (out / "manifest.json").is_file()


def test_stale_staging_folders_of_a_killed_run_are_removed(micro, tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    stale = tmp_path / f".out.{dead}.abc123"
    stale.mkdir()
    (stale / "kpis.csv").write_text("half")
    assert run("solve", written(tmp_path, micro()), "--out", tmp_path / "out").exit_code == 0
    assert not stale.exists() and (tmp_path / "out" / "manifest.json").is_file()


def _as_in_a_terminal() -> None:
    """Ctrl-C as a terminal delivers it: the test runner itself may run with it ignored
    (a background job of a non-interactive shell), which its children would inherit."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


ON_TWO_WORKERS = {
    "compare": ["compare", "europe-2030", "--jobs", "2"],
    "sweep": ["sweep", "europe-2030", "--vary", "rules.safe65.value=0.5:0.9:0.02", "--jobs", "2"],
}


def _running_on_two_workers(output=subprocess.PIPE, settle=3.0, command="compare"):
    """A command on two workers (europe-2030), ``settle`` s after the workers appear."""
    process = subprocess.Popen(
        [sys.executable, "-m", "optimizer.cli", *ON_TWO_WORKERS[command]],
        stdout=output,
        stderr=output,
        text=True,
        start_new_session=True,
        preexec_fn=_as_in_a_terminal,
    )
    deadline = time.monotonic() + 60
    while len(children(process.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(settle)  # 0: the workers are still importing; 3: they are solving
    return process


@pytest.mark.parametrize(
    "command, settle, group",
    [
        ("compare", 0.0, True),
        ("compare", 3.0, True),
        ("compare", 3.0, False),
        ("sweep", 3.0, True),
    ],
    ids=["while-workers-start", "while-solving", "to-the-command-alone", "sweep"],
)
def test_ctrl_c_stops_at_once_with_exit_130_and_no_worker_traceback(command, settle, group):
    process = _running_on_two_workers(settle=settle, command=command)
    workers = children(process.pid)
    if group:
        os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    else:
        os.kill(process.pid, signal.SIGINT)
    began = time.monotonic()
    _, stderr = process.communicate(timeout=30)
    assert time.monotonic() - began < 2.0
    assert process.returncode == 130 and "interrupted" in stderr.splitlines()[-1]
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    time.sleep(0.5)
    assert not any(map(alive, workers))


def test_kill_9_of_compare_leaves_no_worker_behind():
    process = _running_on_two_workers(subprocess.DEVNULL)  # a pipe would wait for orphaned workers
    workers = children(process.pid)
    process.kill()
    process.wait()
    deadline = time.monotonic() + 10
    while any(map(alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(map(alive, workers))


def test_a_ctrl_c_while_children_start_is_raised_once_they_have_started():
    # Raised halfway through a start (after the fork, before the task is sent), a Ctrl-C
    # left a worker printing "EOFError: Ran out of input" (found by CI). A thread with
    # Ctrl-C unblocked (as a pool's own threads are) receives it; the main thread must
    # still finish the block first.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    listener = threading.Thread(target=time.sleep, args=(1.0,), daemon=True)
    listener.start()
    finished = []
    try:
        with pytest.raises(KeyboardInterrupt):
            with starting():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.2)  # the listener takes it; a Ctrl-C not held is raised here
                finished.append("the block")
    finally:
        signal.signal(signal.SIGINT, previous)
    assert finished == ["the block"]


def test_a_killed_pool_leaves_no_thread_of_its_own():
    # A pool thread still closing its pipes at interpreter exit raced Python's exit hook,
    # which printed "OSError: Bad file descriptor" after "interrupted" (one run in 40).
    before = set(threading.enumerate())
    pool = new_pool(1)
    with starting():
        pool.submit(time.sleep, 30)
    deadline = time.monotonic() + 30
    while not children(os.getpid()) and time.monotonic() < deadline:
        time.sleep(0.05)
    kill(pool)
    assert set(threading.enumerate()) <= before


@pytest.mark.parametrize(
    "args, message",
    [
        (["stress", "teaching-155", "--seed", "-1", "--samples", "10"], "--seed: must be ≥ 0"),
        (["compare", "teaching-155", "--jobs", "-3"], "--jobs: must be ≥ 1"),
        (["ranges", "teaching-155", "--alternatives", "-2"], "--alternatives: must be ≥ 0"),
        (["ranges", "teaching-155", "--slack", "-1"], "--slack: must be ≥ 0"),
        (["sweep", "teaching-155", "--vary", "rules.content65.value=0.5", "--run-timeout", "-1"],
         "--run-timeout: must be > 0"),
    ],
)  # fmt: skip
def test_the_analyses_options_are_checked_by_one_model(args, message):
    result = run(*args)
    assert result.exit_code == 2 and message in result.output


def test_a_solver_failure_names_the_numbers_that_span_too_much(micro, monkeypatch):
    from optimizer import solve
    from optimizer.solve import stages
    from optimizer.solve.highs import Stage

    failed = [Stage("error", None, None, "HiGHS stopped: kUnknown")]
    monkeypatch.setattr(stages, "run_stages", lambda *args: failed)
    result = solve(micro(system={"unit_cost": 1e-6}, budget={"amount": 1e5}))
    assert result.status == "error"
    assert result.message.startswith("HiGHS stopped: kUnknown; budgets[0].amount: 100000 is")


def test_a_mapping_nested_thousands_deep_from_python():
    from optimizer import ScenarioError, load_scenario

    document = inner = {}
    for _ in range(3000):
        inner["a"] = {}
        inner = inner["a"]
    with pytest.raises(ScenarioError, match=f"nested deeper than {MAX_DEPTH}"):
        load_scenario(document)
