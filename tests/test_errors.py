"""Bad input: every problem in a scenario gets a message a user can act on.

The contract (spec/scenario-contract.md): on a bad scenario, exit 2, one message per problem
naming the file, the key's dotted path, the value and what is allowed, no traceback and no
summary.json. Each file in fixtures/bad/ holds one kind of problem; its header says what is
wrong and what the user must read:

    # what is wrong
    # env: ENFORCESIM_MAX_MEMORY=2000000000        (optional)
    # expect: KEY | VALUE | TEXT | TEXT ...          (one line per expected problem)

A problem line must start with `FILE: KEY = VALUE: ` (or `FILE: KEY: ` when there is no
value, `FILE: ` when there is no key) and contain every TEXT; the file must give exactly as
many problems as it has expect lines. Most checks run in-process (load_scenario, then the
memory check that `run` does before simulating); a handful go through the command line.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from builders import SCENARIOS
from enforcesim import ScenarioError, load_scenario, parse_scenario
from enforcesim.engine.runner import check_fits_in_memory

FIXTURES = Path(__file__).parent / "fixtures"
BAD = sorted((FIXTURES / "bad").glob("*.toml"))
GOOD = FIXTURES / "good" / "tiny.toml"
# The memory limit for every check here, so that results do not depend on the machine (and no
# fixture can ever start a big run): a fixture's `# env:` line may set its own.
DEFAULT_ENV = {"ENFORCESIM_MAX_MEMORY": "2000000000"}
# Words that mean pydantic's (or Python's) internals reached the user.
INTERNALS = (
    "Traceback",
    "Input should",
    "pydantic",
    "literal[",
    "function-",
    "tagged-union",
    "model_type",
    "For further information",
    "ValidationError",
    "<no value>",
)


@dataclass(frozen=True)
class Expect:
    key: str
    value: str
    texts: tuple[str, ...]

    def prefix(self, file: str) -> str:
        if not self.key:
            return f"{file}: "
        if self.value:
            return f"{file}: {self.key} = {self.value}: "
        return f"{file}: {self.key}: "


@dataclass(frozen=True)
class Fixture:
    path: Path
    what: str
    env: dict[str, str]
    expects: tuple[Expect, ...]


def read_fixture(path: Path) -> Fixture:
    lines = path.read_bytes().decode("latin-1").splitlines()
    assert lines and lines[0].startswith("# "), f"{path.name}: first line must say what is wrong"
    env = dict(DEFAULT_ENV)
    expects = []
    for line in lines[1:]:
        if not line.startswith("#"):
            break
        if line.startswith("# env:"):
            name, _, value = line.removeprefix("# env:").strip().partition("=")
            env[name] = value
        elif line.startswith("# expect:"):
            key, value, *texts = (f.strip() for f in line.removeprefix("# expect:").split("|"))
            expects.append(Expect(key, value, tuple(texts)))
    assert expects, f"{path.name}: no '# expect:' line"
    return Fixture(path, lines[0][2:], env, tuple(expects))


def check_messages(lines: list[str], file: str, expects: tuple[Expect, ...]) -> None:
    """Each expected problem matches exactly one line; no line is left unexplained."""
    assert len(lines) == len(expects), (
        f"want {len(expects)} problem(s), one line each; got {len(lines)}:\n" + "\n".join(lines)
    )
    left = list(lines)
    for e in expects:
        found = [
            ln for ln in left if ln.startswith(e.prefix(file)) and all(t in ln for t in e.texts)
        ]
        assert found, (
            f"no line starts with {e.prefix(file)!r} and contains {e.texts}; "
            "got:\n" + "\n".join(lines)
        )
        left.remove(found[0])
    for line in lines:
        assert not any(w in line for w in INTERNALS), f"internals leak into: {line}"
        assert "\n" not in line


def problems_of(path: Path) -> list[str]:
    """What `enforcesim run` refuses before simulating: the scenario, then the memory check."""
    try:
        sc = load_scenario(path)
    except ScenarioError as exc:
        return [str(p) for p in exc.problems]
    try:
        check_fits_in_memory(sc, 1, str(path))
    except ScenarioError as exc:
        return [str(p) for p in exc.problems]
    return []


def test_fixtures_cover_the_brief() -> None:
    names = {p.stem for p in BAD}
    for prefix in (
        "missing_",
        "days_",
        "warmup_",
        "seed_",
        "replicates_",
        "rate_",
        "beds_",
        "when_full_",
        "los_",
        "removal_share_",
        "initial_detained_",
        "schedule_",
        "beds_schedule_",
        "transport_",
        "cost_",
        "unknown_",
        "uncertainty_",
        "toml_",
        "several_",
        "memory_",
        "contract_",
    ):
        assert any(n.startswith(prefix) for n in names), prefix
    assert len(BAD) >= 100


def test_good_fixture_is_valid() -> None:
    # Every bad fixture is this scenario (or check-contract's) with one thing broken, so the
    # base itself must give no problem.
    assert problems_of(GOOD) == []


@pytest.mark.parametrize(
    "path",
    [GOOD, SCENARIOS / "example.toml"],
    ids=["tiny", "example"],
)
def test_valid_scenario_round_trips(path: Path) -> None:
    # `run --seed/--replicates` re-validates the dumped model (sd = None, transport = None):
    # the cross-field rules must not mistake those for values the user wrote.
    sc = load_scenario(path)
    again = parse_scenario(sc.with_overrides(seed=7, replicates=3).model_dump(), str(path))
    assert again.scenario.seed == 7 and again.scenario.replicates == 3


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_fixture(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fx = read_fixture(path)
    for name, value in fx.env.items():
        monkeypatch.setenv(name, value)
    lines = problems_of(path)
    assert lines, f"{path.name} ({fx.what}) was accepted"
    check_messages(lines, str(path), fx.expects)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    check_messages(problems_of(path), str(path), (Expect("", "", ("file not found",)),))


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    lines = problems_of(tmp_path)
    assert len(lines) == 1 and lines[0].startswith(f"{tmp_path}: cannot read")


def test_all_problems_are_collected_in_one_pass() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(FIXTURES / "bad" / "several_problems.toml")
    assert len(info.value.problems) == 7
    assert len(str(info.value).splitlines()) == 7


def test_problem_shows_values_as_toml() -> None:
    from enforcesim import Problem

    assert str(Problem("f.toml", "a.b", True, "x")) == "f.toml: a.b = true: x"
    assert str(Problem("f.toml", "a.b", "s", "x")) == 'f.toml: a.b = "s": x'
    assert str(Problem("f.toml", "a.b", float("-inf"), "x")) == "f.toml: a.b = -inf: x"
    table = Problem("f.toml", "a.b", {"dist": "beta"}, "x")
    assert str(table) == 'f.toml: a.b = { dist = "beta" }: x'
    assert str(Problem("f.toml", "a.b", "y" * 200, "x")).endswith("...: x")


# ---------------------------------------------------------------------------------------------
# End to end through the command line: a few representative cases (each costs ~1-2 s).


def cli(
    args: list[str], tmp_path: Path, env: dict[str, str] | None = None, columns: str | None = "1000"
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **DEFAULT_ENV, **(env or {})}
    full_env.pop("COLUMNS", None)
    if columns:
        full_env["COLUMNS"] = columns
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "enforcesim.cli",
            "run",
            *args,
            "--out",
            str(tmp_path / "o"),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=full_env,
    )


def assert_refused(r: subprocess.CompletedProcess[str], tmp_path: Path) -> list[str]:
    log = r.stdout + r.stderr
    assert r.returncode == 2, log
    assert "Traceback" not in log
    assert not (tmp_path / "o" / "summary.json").exists()
    assert r.stdout == ""
    return r.stderr.splitlines()


@pytest.mark.parametrize(
    "name",
    [
        "beds_negative",
        "several_problems",
        "memory_replicates_days",
        "toml_syntax",
        "uncertainty_transport_absent",
    ],
)
def test_cli_bad_fixture(name: str, tmp_path: Path) -> None:
    fx = read_fixture(FIXTURES / "bad" / f"{name}.toml")
    path = str(fx.path)
    r = cli([path], tmp_path, fx.env)
    check_messages(assert_refused(r, tmp_path), path, fx.expects)


def test_cli_missing_file(tmp_path: Path) -> None:
    path = str(tmp_path / "nowhere.toml")
    lines = assert_refused(cli([path], tmp_path), tmp_path)
    check_messages(lines, path, (Expect("", "", ("file not found",)),))


@pytest.mark.parametrize(
    ("option", "words"),
    [
        (["--workers", "0"], ["--workers = 0", "must be >= 1"]),
        (["--seed", "-1"], ["seed = -1", "an integer >= 0 and < 2**63"]),
        (["--replicates", "0"], ["replicates = 0", "an integer from 1 to 10000"]),
        (["--replicates", "many"], ["Invalid value for '--replicates'", "valid integer"]),
    ],
)
def test_cli_bad_option(option: list[str], words: list[str], tmp_path: Path) -> None:
    r = cli([str(GOOD), *option], tmp_path)
    lines = assert_refused(r, tmp_path)
    text = "\n".join(lines)
    for w in words:
        assert w in text, text


def test_cli_one_line_per_problem_at_default_width(tmp_path: Path) -> None:
    path = FIXTURES / "bad" / "several_problems.toml"
    lines = assert_refused(cli([str(path)], tmp_path, columns=None), tmp_path)
    assert len(lines) == 7, "\n".join(lines)
