"""`report` on damaged result files and `compare` with one file: one line naming the file,
exit 2, no traceback, nothing written and the files left as they were."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

import enforcesim
from enforcesim.cli import app

SMALL = """[scenario]
name = "small"
days = 20
seed = 3
replicates = 2

[book_ins]
rate_per_day = 20.0

[detention]
beds = 200
when_full = "release"
length_of_stay = { dist = "exponential", mean = 6.0 }
removal_share = 0.5
"""


def invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def snapshot(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("results")
    scen = folder / "s.toml"
    scen.write_text(SMALL)
    enforcesim.run(scen, workers=1).write(folder / "run")
    return folder / "run"


def damaged_copy(results: Path, tmp_path: Path, name: str, data: bytes) -> Path:
    folder = tmp_path / "run"
    folder.mkdir()
    for p in results.iterdir():
        (folder / p.name).write_bytes(p.read_bytes())
    (folder / name).write_bytes(data)
    return folder


@pytest.mark.parametrize(
    "name, data, expected",
    [
        ("daily.parquet", b"not parquet at all", "not a readable Parquet file"),
        ("daily.parquet", b"PAR1" + bytes(64) + b"PAR1", "not a readable Parquet file"),
        ("summary.json", b'{"scenario": "x", "metr', "not valid JSON"),
        ("summary.json", b"\xff\xfe\x00binary", "not valid JSON"),
        ("summary.json", b"[1, 2, 3]", "not a summary written by enforcesim run"),
        ("summary.json", b'{"scenario": "x"}', "no seed, replicates, metrics"),
    ],
    ids=["garbage-parquet", "truncated-parquet", "cut-json", "binary-json", "list", "keys"],
)
@pytest.mark.parametrize("out", [None, "elsewhere"])
def test_report_on_damaged_results_is_one_line(results, tmp_path, name, data, expected, out):
    folder = damaged_copy(results, tmp_path, name, data)
    before = snapshot(folder)
    args = ["report", folder] + (["--out", tmp_path / out] if out else [])
    r = invoke(*args)
    assert r.exit_code == 2, r.output
    assert isinstance(r.exception, SystemExit), r.exception
    assert "Traceback" not in r.output
    assert len(r.stderr.strip().splitlines()) == 1
    assert str(folder / name) in r.stderr and expected in r.stderr
    assert snapshot(folder) == before
    assert not (tmp_path / "elsewhere").exists()


def test_compare_with_one_file_is_refused(results, tmp_path):
    scen = results.parent / "s.toml"
    r = invoke("compare", scen, "--out", tmp_path / "cmp")
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    assert f"{scen}: compare needs at least two scenario files" in r.stderr
    assert not (tmp_path / "cmp").exists()


@pytest.mark.parametrize(
    "text", ['{"metrics": 1}', "[1, 2]", '{"metrics": {}, "seed": 1}', "\x00\x01binary"]
)
def test_show_on_a_summary_that_is_not_one_says_so_in_one_line(tmp_path, text):
    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "summary.json").write_text(text)
    r = CliRunner().invoke(app, ["show", str(folder)])
    assert r.exit_code == 2, r.output
    assert (
        "Traceback" not in r.output and r.exception is None or isinstance(r.exception, SystemExit)
    )
    assert str(folder / "summary.json") in r.output
