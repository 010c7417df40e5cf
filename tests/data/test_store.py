"""Manifest, idempotent and atomic builds, clear errors for bad input, and the CLI."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import openpyxl
import pytest
from typer.testing import CliRunner

from enforcesim import data
from enforcesim.cli.data import app
from enforcesim.data import ice_workbooks
from enforcesim.data.manifest import read_manifest, verify
from enforcesim.data.paths import manifest_path

RAW = data.raw_dir()
FY19 = "ice-detention-stats/FY19_detentionStats_2019-10-06.xlsx"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_manifest_lists_every_raw_file_with_origin_and_licence():
    entries = read_manifest(manifest_path(RAW))
    on_disk = sorted(p.relative_to(RAW).as_posix() for p in RAW.rglob("*") if p.is_file())
    assert sorted(e.path for e in entries) == on_disk
    for e in entries:
        assert e.origin and e.licence and e.source_folder == e.path.split("/")[0]
        assert (RAW / e.path).stat().st_size == e.bytes
        assert sha(RAW / e.path) == e.sha256
    verify(RAW, entries)  # the library's own check agrees
    assert sum(e.bytes for e in entries) < 20 * 2**20  # keep the repository small


def test_build_is_idempotent(store: Path):
    before = (store.stat().st_mtime_ns, sha(store))
    assert data.build(store) == store
    assert (store.stat().st_mtime_ns, sha(store)) == before


def test_tables_carry_source_file(store: Path):
    con = duckdb.connect(str(store), read_only=True)
    try:
        for name in data.TABLES:
            cols = [r[0] for r in con.execute(f"DESCRIBE {name}").fetchall()]
            assert {"source_file", "source_sheet"} <= set(cols), name
            nulls = con.execute(f"SELECT count(*) FROM {name} WHERE source_file IS NULL")
            assert nulls.fetchone()[0] == 0, name
    finally:
        con.close()


@pytest.fixture
def raw_copy(tmp_path: Path) -> Path:
    """A writable copy of data/raw (and the manifest next to it)."""
    dest = tmp_path / "data" / "raw"
    shutil.copytree(RAW, dest)
    shutil.copy(manifest_path(RAW), dest.parent / "MANIFEST.csv")
    return dest


@pytest.fixture
def old_store(store: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "store" / "enforcesim.duckdb"
    copy.parent.mkdir()
    shutil.copy(store, copy)
    return copy


def _assert_intact(db: Path, digest: str):
    assert sha(db) == digest
    assert [p.name for p in db.parent.iterdir()] == [db.name]  # no temporary files left
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM fiscal_years").fetchone()[0] == 7
    con.close()


def test_corrupt_file_clear_error_and_store_intact(raw_copy: Path, old_store: Path):
    digest = sha(old_store)
    target = raw_copy / FY19
    target.write_bytes(target.read_bytes()[:5000])  # truncated download
    with pytest.raises(data.DataError) as err:
        data.build(old_store, force=True, raw=raw_copy)
    assert FY19 in str(err.value)
    _assert_intact(old_store, digest)


def test_missing_file_clear_error_and_store_intact(raw_copy: Path, old_store: Path):
    digest = sha(old_store)
    (raw_copy / "uwchr-ice-detain/facilities.csv.gz").unlink()
    with pytest.raises(data.DataError, match=r"uwchr-ice-detain/facilities\.csv\.gz.*missing"):
        data.build(old_store, force=True, raw=raw_copy)
    _assert_intact(old_store, digest)


def test_parse_failure_after_verification_leaves_store_intact(
    raw_copy: Path, old_store: Path, monkeypatch
):
    """A failure half-way through the build (here: a parser error) must not touch the store."""
    digest = sha(old_store)

    def boom(raw, con):
        raise data.DataError("table missing", file="x.xlsx", sheet="Sheet1")

    monkeypatch.setattr("enforcesim.data.store.facilities.build", boom)
    with pytest.raises(data.DataError, match=r"x\.xlsx \[sheet 'Sheet1'\]: table missing"):
        data.build(old_store, force=True, raw=raw_copy)
    _assert_intact(old_store, digest)


def _edited_workbook(tmp_path: Path, edit) -> Path:
    wb = openpyxl.load_workbook(RAW / FY19)
    edit(wb)
    out = tmp_path / "FY19_detentionStats_2019-10-06.xlsx"
    wb.save(out)
    return out


def test_parser_copes_with_shifted_blocks_and_renamed_sheet(tmp_path: Path, fiscal_years):
    def edit(wb):
        ws = wb["Detention FY19"]
        ws.insert_rows(1, amount=3)
        ws.insert_cols(1, amount=2)
        ws.title = "Detention EOFY19 "

    path = _edited_workbook(tmp_path, edit)
    fy_row, monthly = ice_workbooks.parse_workbook(path, "edited.xlsx")
    assert fy_row["source_sheet"] == "Detention EOFY19 "
    for col in ("adp", "alos_days", "book_ins", "book_ins_cbp", "removals"):
        assert fy_row[col] == pytest.approx(fiscal_years.loc[2019, col]), col
    assert len(monthly) == 12


def test_missing_table_names_file_and_sheet(tmp_path: Path):
    def edit(wb):
        ws = wb["Detention FY19"]
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("ICE Removals"):
                    cell.value = "Something else"

    path = _edited_workbook(tmp_path, edit)
    with pytest.raises(data.DataError) as err:
        ice_workbooks.parse_workbook(path, "edited.xlsx")
    message = str(err.value)
    assert "edited.xlsx [sheet 'Detention FY19']" in message and "ice removals" in message


def test_missing_sheet_names_file_and_lists_sheets(tmp_path: Path):
    def edit(wb):
        wb["Detention FY19"].title = "Detainees"

    path = _edited_workbook(tmp_path, edit)
    with pytest.raises(data.DataError, match=r"edited\.xlsx: no sheet .*'Detention'.*Detainees"):
        ice_workbooks.parse_workbook(path, "edited.xlsx")


runner = CliRunner()


def test_cli_show_fiscal_years_csv(store: Path):
    result = runner.invoke(app, ["show", "fiscal-years", "--format", "csv", "--db", str(store)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0].split(",")[:11] == [
        "fiscal_year", "adp", "adp_ice", "adp_cbp", "alos_days", "alos_ice_days",
        "alos_cbp_days", "book_ins", "book_ins_ice", "book_ins_cbp", "removals",
    ]  # fmt: skip
    assert len(lines) == 8
    assert lines[1].startswith("2019,50165.43836,")


@pytest.mark.parametrize("name", ["monthly", "facilities", "fiscal-years"])
def test_cli_show_table_format(store: Path, name: str):
    result = runner.invoke(app, ["show", name, "--db", str(store), "--limit", "5"])
    assert result.exit_code == 0, result.output
    assert name in result.stdout and "rows)" in result.stdout


def test_cli_bad_raw_file_exits_2_without_traceback(raw_copy: Path, tmp_path: Path, monkeypatch):
    (raw_copy / FY19).write_bytes(b"not a workbook")
    monkeypatch.setenv("ENFORCESIM_RAW_DIR", str(raw_copy))
    result = runner.invoke(app, ["build", "--db", str(tmp_path / "new.duckdb")])
    assert result.exit_code == 2
    assert FY19 in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "new.duckdb").exists()
