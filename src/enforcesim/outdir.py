"""The one policy for the folders that commands write (`--out`): never lose a user's file.

- A missing or empty folder is used.
- A folder holding this command's own earlier results is replaced as a whole: the new results
  are written into a hidden folder beside it, which then takes its place in one rename, so a
  failed or interrupted write leaves the old results as they were. Resumable commands (sweep,
  study flagship) instead carry on in their own folder.
- Anything else is refused (`OutDirError`, exit code 2) with one line that says what is there
  and what to do; nothing is written.

"Own results" are recognised by a small ledger, `.enforcesim`, written with the results: it
names the command and every file written, so a file added later by anyone else is seen as
foreign. A file is never deleted or overwritten unless the ledger says enforcesim wrote it.
"""

from __future__ import annotations

import errno
import fnmatch
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

LEDGER = ".enforcesim"
_ADVICE = "choose an empty or new folder"

# Files that resumable commands write a little at a time: they are owned by pattern, since
# an interrupted run has no chance to list them.
RESUMABLE: dict[str, tuple[str, ...]] = {
    "sweep": (
        "manifest.json",
        "scenario.toml",
        "grid.csv",
        "points/[0-9][0-9][0-9][0-9][0-9].json",
        "report.html",
        "figures/*.png",
    ),
    "study flagship": (
        "manifest.json",
        "published.csv",
        "report.html",
        "figures/*.png",
        "inputs/*.toml",
        "runs/*",  # fnmatch's * also matches '/': everything the stages write below
        "sweep/*",
        "sensitivity/*",
    ),
}

# Result folders written before the ledger existed: recognised by their file names and the
# manifest or summary that enforcesim writes.
_RUN_FILES = frozenset(
    {
        "summary.json",
        "daily.parquet",
        "daily_streams.parquet",
        "daily_arrests.parquet",
        "daily_officers.parquet",
        "daily_cases.parquet",
    }
)


class OutDirError(Exception):
    """An output folder that cannot be used; `code` is the exit code (2: choose another
    folder, 1: a fault outside the user's input such as a full disk)."""

    def __init__(self, message: str, code: int = 2):
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class Target:
    """Where a command's results go and what is there now: 'missing', 'empty' or 'own'."""

    path: Path
    command: str
    state: str


def reason(exc: OSError) -> str:
    """An OSError in words, without errno numbers or repeated paths."""
    words = {
        errno.EACCES: "permission denied",
        errno.EPERM: "not permitted",
        errno.EROFS: "read-only file system",
        errno.ENOSPC: "no space left on the device",
        errno.EDQUOT: "disk quota exceeded",
        errno.ENOTDIR: "a part of the path is a file, not a folder",
        errno.ENAMETOOLONG: "the name is too long",
        errno.EEXIST: "something else is already there",
        errno.ENOENT: "the system does not allow creating it there",
    }
    if exc.errno in words:
        return words[exc.errno]
    return (exc.strerror or str(exc) or type(exc).__name__).lower()


def _fault_code(exc: OSError) -> int:
    return 1 if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO) else 2


def _leftover(name: str) -> bool:
    # Hidden temporaries of an interrupted atomic write; ours by construction.
    return name.startswith(".") and (name.endswith(".partial") or name.endswith(".tmp"))


def entries(folder: Path) -> list[str]:
    """Every file (and empty folder, as 'name/') under folder, relative, '/'-separated,
    without the ledger and interrupted-write leftovers. Symbolic links count as files."""
    found: list[str] = []
    for root, dirs, files in os.walk(folder):
        rel = Path(root).relative_to(folder)
        keep = []
        for d in dirs:
            if _leftover(d):
                continue
            if (Path(root) / d).is_symlink():
                files.append(d)
            else:
                keep.append(d)
        dirs[:] = keep
        names = [f for f in files if not _leftover(f) and not (rel == Path(".") and f == LEDGER)]
        found += [(rel / f).as_posix() for f in names]
        if not names and not keep and rel != Path("."):
            found.append(rel.as_posix() + "/")
    return sorted(found)


def read_ledger(folder: Path) -> dict | None:
    try:
        data = json.loads((folder / LEDGER).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        return None
    return data


def _write_ledger(folder: Path, command: str | None, files: dict[str, str]) -> None:
    from . import __version__

    data = {"written_by": f"enforcesim {__version__}", "command": command, "files": files}
    tmp = folder / f".{LEDGER}.{uuid.uuid4().hex}.tmp"
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, folder / LEDGER)


def _legacy_kind(folder: Path, names: list[str]) -> str | None:
    """The command that wrote a folder without a ledger, when its files say so."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
        tool = manifest.get("tool") if isinstance(manifest, dict) else None
    except (OSError, ValueError):
        tool = None
    if tool in ("sweep", "flagship"):
        return "study flagship" if tool == "flagship" else tool
    if names and set(names) <= _RUN_FILES and "summary.json" in names:
        try:
            summary = json.loads((folder / "summary.json").read_text())
        except (OSError, ValueError):
            return None
        if isinstance(summary, dict) and "contract" in summary and "provenance" in summary:
            return "run"
    return None


def _summarise(names: list[str], limit: int = 6) -> str:
    """'notes.txt, s.toml, data/ (3 files)': top-level names, folders with counts."""
    groups: dict[str, int] = {}
    for n in names:
        top, sep, _ = n.partition("/")
        key = top + "/" if sep else top
        groups[key] = groups.get(key, 0) + (1 if sep and n != key else 0)
    shown = [
        f"{k} ({c} file{'s' if c != 1 else ''})" if k.endswith("/") and c else k
        for k, c in sorted(groups.items())
    ]
    more = f" and {len(shown) - limit} more" if len(shown) > limit else ""
    return ", ".join(shown[:limit]) + more


def _foreign_message(out: Path, command: str, foreign: list[str], writers: set[str | None]) -> str:
    n = len(foreign)
    # Say so when every one of them came from another enforcesim command (a report).
    origin = (
        f" (written by enforcesim {writers.pop()})"
        if len(writers) == 1 and None not in writers and "" not in writers
        else ""
    )
    return (
        f"--out {out}: holds {n} file{'s' if n != 1 else ''} not written by enforcesim "
        f"{command}: {_summarise(foreign)}{origin}; {_ADVICE}"
    )


def _is_within(inner: Path, outer: Path) -> bool:
    return inner == outer or outer in inner.parents


def _check_place(out: Path, inputs: Iterable[str | Path]) -> Path:
    """Refuse the folders no command may write whatever they hold; return the absolute path."""
    absolute = Path(os.path.realpath(out))
    cwd = Path(os.path.realpath(Path.cwd()))
    if _is_within(cwd, absolute):
        what = "the current folder" if absolute == cwd else "a folder above the current one"
        raise OutDirError(
            f"--out {out}: is {what}; results go into a folder of their own, e.g. "
            f"--out out/{Path(out).name or 'results'}"
        )
    for item in inputs:
        p = Path(os.path.realpath(item))
        if _is_within(p, absolute):
            raise OutDirError(
                f"--out {out}: holds the input {item}; {_ADVICE} (not the one holding the inputs)"
            )
    if absolute.exists() and not absolute.is_dir():
        raise OutDirError(f"--out {out}: is a file, not a folder; {_ADVICE}")
    anc = next((a for a in (out, *out.parents) if a.exists()), Path("."))
    if not anc.is_dir():
        raise OutDirError(f"--out {out}: {anc} is a file, so the folder cannot be made there")
    return absolute


def _probe(folder: Path, out: Path) -> None:
    """Make sure a folder can be created in `folder` (creating it and its parents)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        os.rmdir(tempfile.mkdtemp(prefix=".probe.", suffix=".partial", dir=folder))
    except OSError as exc:
        raise OutDirError(
            f"--out {out}: cannot create a folder in {folder} ({reason(exc)}); {_ADVICE} "
            "where you may write",
            _fault_code(exc),
        ) from None


def check(out: str | Path, command: str, *, inputs: Iterable[str | Path] = ()) -> Target:
    """What writing `command`'s results to `out` will do; raises OutDirError to refuse.

    Call it before any long computation so that a refusal comes at once; `replacing` calls
    it again when the results are written."""
    shown = Path(out)
    absolute = _check_place(shown, inputs)
    if not absolute.exists():
        _probe(absolute.parent, shown)
        return Target(absolute, command, "missing")
    names = entries(absolute)
    if not names:
        _probe(absolute, shown)
        return Target(absolute, command, "empty")
    ledger = read_ledger(absolute)
    if ledger is not None:
        kind = ledger.get("command")
        owned = {f for f, by in ledger["files"].items() if by == command}
    else:
        kind = _legacy_kind(absolute, names)
        owned = set(names)
    patterns = RESUMABLE.get(command, ())
    foreign = (
        [n for n in names if n not in owned and not any(fnmatch.fnmatch(n, p) for p in patterns)]
        if kind == command
        else names
    )
    if foreign:
        by = {ledger["files"].get(f) for f in foreign} if ledger else {None}
        raise OutDirError(_foreign_message(shown, command, foreign, by))
    if not patterns:
        _probe(absolute.parent, shown)
    return Target(absolute, command, "own")


def _install(staging: Path, target: Target, shown: Path) -> None:
    out = target.path
    if target.state == "missing":
        os.rename(staging, out)
    elif target.state == "empty":
        for child in staging.iterdir():
            os.rename(child, out / child.name)
        staging.rmdir()
    else:
        old = out.parent / f".{out.name}.old-{uuid.uuid4().hex}.partial"
        os.rename(out, old)
        try:
            os.rename(staging, out)
        except BaseException:
            os.rename(old, out)
            raise
        shutil.rmtree(old, ignore_errors=True)


@contextmanager
def replacing(
    out: str | Path, command: str, *, inputs: Iterable[str | Path] = ()
) -> Iterator[Path]:
    """Yield a hidden, empty folder to write `command`'s results into; on success it becomes
    `out` (see the module's policy), with a ledger of every file in it. On an exception
    nothing of the new results is left and the old folder is as it was."""
    shown = Path(out)
    target = check(shown, command, inputs=inputs)
    # An empty folder the user made keeps its identity (permissions, open shells): the
    # results are staged inside it and moved up. Otherwise stage beside it.
    where = target.path if target.state == "empty" else target.path.parent
    try:
        staging = Path(
            tempfile.mkdtemp(prefix=f".{target.path.name}.", suffix=".partial", dir=where)
        )
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o777 & ~umask)
    except OSError as exc:
        raise OutDirError(
            f"--out {shown}: cannot write ({reason(exc)})", _fault_code(exc)
        ) from None
    try:
        yield staging  # an OSError while writing the results reaches the caller as it is
        _write_ledger(staging, command, {f: command for f in entries(staging)})
        target = check(shown, command, inputs=inputs)  # unchanged while we computed?
        try:
            _install(staging, target, shown)
        except OSError as exc:
            raise OutDirError(
                f"--out {shown}: cannot put the results in place ({reason(exc)})",
                _fault_code(exc),
            ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def resume(out: str | Path, command: str, *, inputs: Iterable[str | Path] = ()) -> Target:
    """Claim `out` for a resumable command: create it and its ledger if new; raise
    OutDirError if it holds anything but this command's files."""
    shown = Path(out)
    target = check(shown, command, inputs=inputs)
    try:
        target.path.mkdir(parents=True, exist_ok=True)
        if read_ledger(target.path) is None:
            _write_ledger(target.path, command, {f: command for f in entries(target.path)})
    except OSError as exc:
        raise OutDirError(
            f"--out {shown}: cannot write ({reason(exc)})", _fault_code(exc)
        ) from None
    return target


def add_file(folder: Path, name: str, data: str | bytes) -> None:
    """Write one more file into a result folder and list it in the folder's ledger, as
    written by the folder's own command (a scenario copy beside a run's results)."""
    from .files import write_atomic

    write_atomic(folder / name, data)
    ledger = read_ledger(folder)
    if ledger is not None:
        files = dict(ledger["files"])
        files[name] = files.get(name, ledger.get("command") or "")
        _write_ledger(folder, ledger.get("command"), files)


def report_collisions(folder: Path, names: Iterable[str]) -> list[str]:
    """The files under `names` (e.g. report.html, figures) in folder that enforcesim's ledger
    does not list: a report may not overwrite them."""
    ledger = read_ledger(folder) or {"files": {}}
    wanted = tuple(names)
    return [
        n
        for n in entries(folder)
        if (n in wanted or n.split("/", 1)[0] in wanted) and n not in ledger["files"]
    ]


@contextmanager
def adding(folder: str | Path, command: str, names: Iterable[str]) -> Iterator[Path]:
    """Yield a hidden folder to write `names` (files or folders) into; on success they take
    the place of any earlier ones in `folder` and are added to its ledger. Refuses
    (OutDirError) when `folder` holds one of them that enforcesim did not write."""
    shown = Path(folder)
    absolute = Path(os.path.abspath(folder))
    wanted = tuple(names)
    clash = report_collisions(absolute, wanted)
    if clash:
        raise OutDirError(
            f"{shown}: holds {_summarise(clash)}, not written by enforcesim; give --out with "
            f"an empty or new folder for the {command}"
        )
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{command}.", suffix=".partial", dir=absolute))
    except OSError as exc:
        raise OutDirError(f"{shown}: cannot write ({reason(exc)})", _fault_code(exc)) from None
    try:
        yield staging
        ledger = read_ledger(absolute)
        if ledger is not None:
            kind, files = ledger.get("command"), dict(ledger["files"])
        else:
            kind = _legacy_kind(absolute, entries(absolute))
            files = {n: kind for n in entries(absolute)} if kind else {}
        for name in wanted:
            src, dst = staging / name, absolute / name
            if not src.exists():
                continue
            before = {f: by for f, by in files.items() if f == name or f.startswith(name + "/")}
            for f in before:
                del files[f]
            if src.is_dir():
                aside = absolute / f".{name}.old-{uuid.uuid4().hex}.partial"
                if dst.exists():
                    os.rename(dst, aside)
                os.rename(src, dst)
                shutil.rmtree(aside, ignore_errors=True)
            else:
                os.replace(src, dst)
            # A regenerated report stays the folder's own when its command wrote it.
            writers = set(before.values())
            by = writers.pop() if len(writers) == 1 else command
            for f in entries(absolute):
                if (f == name or f.startswith(name + "/")) and f not in files:
                    files[f] = by
        _write_ledger(absolute, kind, files)
    except OSError as exc:
        raise OutDirError(
            f"{shown}: cannot write the {command} ({reason(exc)})", _fault_code(exc)
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
