"""The output-folder policy (enforcesim.outdir), for every command that writes a folder: a
missing or empty folder is used, the command's own earlier results are replaced, anything
else is refused with exit 2 and one line, and the user's files stay byte for byte."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

import enforcesim
from enforcesim.cli import app
from enforcesim.outdir import LEDGER, OutDirError, check, read_ledger, replacing, resume

SMALL = """[scenario]
name = "small"
days = 30
seed = 7
replicates = 2

[book_ins]
rate_per_day = 30.0

[detention]
beds = 260
when_full = "release"
length_of_stay = { dist = "exponential", mean = 8.0 }
removal_share = 0.6

[costs]
bed_day = 152.0

[uncertainty]
"costs.bed_day" = { dist = "uniform", low = 130.0, high = 225.0 }
"""


def invoke(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under folder (hidden ones too) with its SHA-256."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def refused(r, path: Path | str) -> str:
    """The command exited 2 with one line naming the path and no traceback."""
    assert r.exit_code == 2, r.output
    assert isinstance(r.exception, SystemExit), r.exception
    assert "Traceback" not in r.output
    assert str(path) in r.stderr
    return r.stderr


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "inputs"
    folder.mkdir()
    a, b = folder / "a.toml", folder / "b.toml"
    a.write_text(SMALL)
    b.write_text(SMALL.replace('name = "small"', 'name = "more"').replace("260", "400"))
    run_dir = tmp_path / "a-run"
    enforcesim.run(a, workers=1).write(run_dir)
    return {"a": a, "b": b, "run": run_dir}


COMMANDS = {
    "run": lambda i: ["run", i["a"], "-q", "--workers", "1"],
    "compare": lambda i: ["compare", i["a"], i["b"], "-q", "--workers", "1"],
    "sweep": lambda i: ["sweep", i["a"], "--vary", "detention.beds=200,300", "-q"],
    "sensitivity": lambda i: ["sensitivity", i["a"], "--n", "2", "-q", "--workers", "1"],
    "report": lambda i: ["report", i["run"]],
    "study flagship": lambda i: ["study", "flagship", "--quick", "-q"],
    "calibrate run": lambda i: ["calibrate", "run", "--bootstrap", "0"],
    "calibrate backtest": lambda i: ["calibrate", "backtest"],
}


# --- every command refuses a folder it may not write, at once and without touching it ----------


@pytest.mark.parametrize("command", COMMANDS)
def test_a_folder_of_the_users_files_is_refused_and_left_byte_for_byte(command, inputs, tmp_path):
    mine = tmp_path / "mine"
    (mine / "data").mkdir(parents=True)
    (mine / "notes.txt").write_text("my notes\n")
    (mine / "s.toml").write_text(SMALL)
    (mine / "data" / "x.csv").write_text("a,b\n1,2\n")
    before = snapshot(mine)
    err = refused(invoke(*COMMANDS[command](inputs), "--out", mine), mine)
    assert f"holds 3 files not written by enforcesim {command}: " in err
    assert "data/ (1 file), notes.txt, s.toml" in err and "empty or new folder" in err
    assert len(err.strip().splitlines()) == 1
    assert snapshot(mine) == before


@pytest.mark.parametrize("command", COMMANDS)
def test_the_folder_holding_the_inputs_is_refused(command, inputs, tmp_path):
    folder = inputs["a"].parent
    before = snapshot(folder)
    err = refused(invoke(*COMMANDS[command](inputs), "--out", folder), folder)
    assert "holds the input" in err or "not written by enforcesim" in err
    assert snapshot(folder) == before


@pytest.mark.parametrize("command", COMMANDS)
def test_an_out_that_is_a_file_or_lies_below_one_is_refused(command, inputs, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("keep me\n")
    for out in (notes, notes / "sub"):
        err = refused(invoke(*COMMANDS[command](inputs), "--out", out), out)
        assert "is a file" in err
    assert notes.read_text() == "keep me\n"


@pytest.mark.parametrize("command", COMMANDS)
def test_the_current_folder_is_refused(command, inputs, tmp_path, monkeypatch):
    here = tmp_path / "here"
    here.mkdir()
    (here / "notes.txt").write_text("keep me\n")
    monkeypatch.chdir(here)
    err = refused(invoke(*COMMANDS[command](inputs), "--out", "."), ".")
    assert "is the current folder" in err
    assert sorted(os.listdir(here)) == ["notes.txt"]


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("command", COMMANDS)
def test_a_place_where_no_folder_can_be_made_is_one_line(command, inputs):
    out = Path("/proc/enforcesim-test/out")
    err = refused(invoke(*COMMANDS[command](inputs), "--out", out), out)
    assert "cannot create a folder in /proc" in err and "Errno" not in err


# --- own earlier results are replaced; foreign files added later are seen -------------------------

REPLACING = ["run", "compare", "sensitivity", "report"]


@pytest.mark.parametrize("command", REPLACING)
def test_a_rerun_replaces_the_commands_own_results(command, inputs, tmp_path):
    out = tmp_path / "out"
    first = invoke(*COMMANDS[command](inputs), "--out", out)
    assert first.exit_code == 0, first.output
    ledger = read_ledger(out)
    assert ledger["command"] == command
    assert set(ledger["files"]) == set(snapshot(out)) - {LEDGER}
    # a file the command wrote but will not write again goes with the old results
    (out / "stale.csv").write_text("old\n")
    ledger["files"]["stale.csv"] = command
    (out / LEDGER).write_text(json.dumps(ledger))
    again = invoke(*COMMANDS[command](inputs), "--out", out)
    assert again.exit_code == 0, again.output
    assert not (out / "stale.csv").exists()
    assert set(read_ledger(out)["files"]) == set(snapshot(out)) - {LEDGER}
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("command", [*REPLACING, "sweep"])
def test_a_file_added_to_earlier_results_is_seen_and_kept(command, inputs, tmp_path):
    out = tmp_path / "out"
    assert invoke(*COMMANDS[command](inputs), "--out", out).exit_code == 0
    (out / "notes.txt").write_text("my notes\n")
    before = snapshot(out)
    err = refused(invoke(*COMMANDS[command](inputs), "--out", out), out)
    assert f"holds 1 file not written by enforcesim {command}: notes.txt;" in err
    assert snapshot(out) == before


def test_a_sweep_resumes_in_its_own_folder(inputs, tmp_path):
    out = tmp_path / "sweep"
    assert invoke(*COMMANDS["sweep"](inputs), "--out", out).exit_code == 0
    r = invoke(*COMMANDS["sweep"](inputs), "--out", out)
    assert r.exit_code == 0, r.output
    assert read_ledger(out)["command"] == "sweep"


@pytest.mark.parametrize("command", REPLACING)
def test_an_empty_folder_is_used_and_kept(command, inputs, tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    inode = out.stat().st_ino
    r = invoke(*COMMANDS[command](inputs), "--out", out)
    assert r.exit_code == 0, r.output
    assert out.stat().st_ino == inode
    assert read_ledger(out)["command"] == command and (out / "report.html").exists() == (
        command in ("compare", "sensitivity", "report")
    )


def test_a_rerun_of_run_does_not_delete_a_report_written_into_its_folder(inputs):
    run_dir = inputs["run"]
    r = invoke("report", run_dir)
    assert r.exit_code == 0, r.output
    before = snapshot(run_dir)
    err = refused(invoke(*COMMANDS["run"](inputs), "--out", run_dir), run_dir)
    assert "figures/" in err and "report.html (written by enforcesim report)" in err
    assert snapshot(run_dir) == before
    # the report itself may be written again into the same folder
    assert invoke("report", run_dir).exit_code == 0


def test_a_report_does_not_overwrite_a_report_html_it_did_not_write(inputs):
    run_dir = inputs["run"]
    (run_dir / "report.html").write_text("<p>my own page</p>")
    before = snapshot(run_dir)
    err = refused(invoke("report", run_dir), run_dir)
    assert "report.html, not written by enforcesim" in err and "--out" in err
    assert snapshot(run_dir) == before


def test_results_of_another_command_are_not_replaced(inputs, tmp_path):
    out = tmp_path / "cmp"
    assert invoke(*COMMANDS["compare"](inputs), "--out", out).exit_code == 0
    before = snapshot(out)
    err = refused(invoke(*COMMANDS["run"](inputs), "--out", out), out)
    assert "not written by enforcesim run" in err and "(written by enforcesim compare)" in err
    assert snapshot(out) == before


# --- the module itself --------------------------------------------------------------------------


def test_results_written_before_the_ledger_are_recognised(inputs, tmp_path):
    legacy = tmp_path / "legacy"
    enforcesim.run(inputs["a"], workers=1).write(legacy)
    (legacy / LEDGER).unlink()
    assert check(legacy, "run").state == "own"
    with pytest.raises(OutDirError, match="not written by enforcesim compare"):
        check(legacy, "compare")


def test_a_failed_write_leaves_the_old_results_and_no_hidden_folders(tmp_path):
    out = tmp_path / "out"
    with replacing(out, "run") as tmp:
        (tmp / "summary.json").write_text("{}")
    before = snapshot(out)
    with pytest.raises(RuntimeError), replacing(out, "run") as tmp:
        (tmp / "summary.json").write_text('{"new": 1}')
        raise RuntimeError
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_folder_changed_while_the_command_ran_is_not_replaced(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(OutDirError, match="notes.txt"), replacing(out, "run") as tmp:
        (tmp / "summary.json").write_text("{}")
        out.mkdir()
        (out / "notes.txt").write_text("arrived meanwhile\n")
    assert sorted(os.listdir(out)) == ["notes.txt"]


def test_pattern_shaped_files_alone_do_not_make_a_sweep_folder(tmp_path):
    out = tmp_path / "s"
    (out / "points").mkdir(parents=True)
    (out / "points" / "00001.json").write_text("{}")
    with pytest.raises(OutDirError, match="not written by enforcesim sweep"):
        resume(out, "sweep")
