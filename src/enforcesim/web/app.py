"""The FastAPI application: the JSON API (docs/web-api.md) and the page that uses it.

Safe to expose by construction: requests are validated by pydantic and then by the scenario
schema (a 422 names each field and what is allowed); bodies, replicates, horizon, events,
compute per job, sweep size, concurrent and queued jobs are limited (settings.py); job ids
are random (secrets.token_urlsafe); files are read and written only under the data folder,
under names made here, never from the request; nothing from a request is evaluated; a bug
answers 500 "internal error" with no trace. Bound to loopback, requests must name a loopback
host (no DNS rebinding); bound to any other address, a bearer token is required. No CORS
headers are sent, so other sites' pages cannot read the API.
"""

from __future__ import annotations

import hmac
import logging
import math
import threading
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from .. import __version__
from ..errors import ScenarioError
from ..scenario.overrides import apply
from ..tomlfile import dumps
from .jobs import CANCEL_NOTE, PRIORITY_PRECOMPUTE, JobManager, QueueFull, problems_doc
from .levers import NAME_RE, SHA_RE, Library, Source, default_library, describe, parse_text
from .series import binding_shares, headline, record
from .settings import Settings, is_loopback
from .specs import prepare_run, prepare_sweep
from .store import Store

log = logging.getLogger("enforcesim.web")
STATIC = Path(__file__).parent / "static"
LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1", "testserver"}
# The tables a run writes, as they may be downloaded: a fixed list, never a path from the URL.
FILES = {
    "summary.json": "application/json",
    "daily.parquet": "application/vnd.apache.parquet",
    "daily.csv": "text/csv",
    "daily_arrests.parquet": "application/vnd.apache.parquet",
    "daily_arrests.csv": "text/csv",
    "daily_officers.parquet": "application/vnd.apache.parquet",
    "daily_officers.csv": "text/csv",
    "daily_streams.parquet": "application/vnd.apache.parquet",
    "daily_streams.csv": "text/csv",
    "daily_cases.parquet": "application/vnd.apache.parquet",
    "daily_cases.csv": "text/csv",
}

Path_ = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Value = bool | int | float | str | list[Any] | dict[str, Any]


class Source_(BaseModel):
    model_config = ConfigDict(extra="forbid")
    library: (
        Annotated[str, StringConstraints(pattern=f"^{NAME_RE.pattern}$", max_length=64)] | None
    ) = Field(None, description="a library scenario: the file stem in scenarios/library/")
    scenario_toml: str | None = Field(None, description="a whole scenario file, as TOML text")
    upload: Annotated[str, StringConstraints(pattern=f"^{SHA_RE.pattern}$")] | None = Field(
        None, description="a scenario uploaded before, by its SHA-256"
    )

    @model_validator(mode="after")
    def one_source(self) -> Source_:
        given = [n for n in ("library", "scenario_toml", "upload") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of library, scenario_toml or upload")
        return self


class RunRequest(Source_):
    overrides: dict[Path_, Value] = Field(
        default_factory=dict, description='dotted paths as `--set`: {"detention.beds": 80000}'
    )
    levers: dict[Path_, Value | None] = Field(
        default_factory=dict, description="the page's levers (GET /api/scenarios/NAME)"
    )
    replicates: int | None = Field(None, ge=1, description="default: the scenario's")
    seed: int | None = Field(None, ge=0, le=2**63 - 1, description="default: the scenario's")


class SweepRequest(RunRequest):
    vary: dict[Path_, list[Value]] = Field(
        ..., description='path -> values; every combination is a point: {"detention.beds": [...]}'
    )


class UploadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scenario_toml: str


class JobCreated(BaseModel):
    id: str
    status: str
    cached: bool = False
    upload: str | None = None


def create_app(settings: Settings) -> FastAPI:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    library = Library(settings.library_dir or default_library())
    state: dict[str, Any] = {"record": None, "record_note": "loading"}

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # noqa: ANN202
        store = Store(settings.data_dir)
        manager = JobManager(settings, store)
        app.state.store, app.state.manager = store, manager
        manager.start()
        threading.Thread(target=_background_start, args=(manager,), daemon=True).start()
        try:
            yield
        finally:
            manager.stop()
            store.close()

    def _background_start(manager: JobManager) -> None:
        _load_record()
        if settings.precompute:
            for name in library.names():
                src = library.get(name)
                assert src is not None
                try:
                    spec = prepare_run(src, settings.limits)
                    manager.submit("run", spec, _request_doc(src), PRIORITY_PRECOMPUTE)
                except (ScenarioError, QueueFull) as exc:
                    log.warning("library scenario %s not computed: %s", name, exc)

    def _load_record() -> None:
        import pandas as pd

        from ..data import DataError, comparison_series

        frames = []
        for year in (2025, 2026):
            try:
                frames.append(comparison_series(year))
            except DataError as exc:
                state["record_note"] = str(exc)
        state["record"] = pd.concat(frames, ignore_index=True) if frames else None
        state["record_note"] = None if frames else state["record_note"]

    app = FastAPI(
        title="enforcesim",
        version=__version__,
        summary="Simulate the immigration detention and removal pipeline from a browser.",
        lifespan=lifespan,
        docs_url=None,  # Swagger UI loads its files from a CDN: not offline, not under our CSP
        redoc_url=None,
    )

    # --- middleware: body size, host and token -------------------------------------------
    limit = settings.limits.max_body_bytes
    loopback_only = settings.token is None and is_loopback(settings.host)

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]):  # noqa: ANN202
        if loopback_only and _hostname(request.headers.get("host", "")) not in LOOPBACK_NAMES:
            return JSONResponse({"detail": "this server answers loopback hosts only"}, 421)
        if settings.token and request.url.path.startswith("/api/"):
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {settings.token}".encode()):
                return JSONResponse(
                    {"detail": "a bearer token is required (Authorization: Bearer TOKEN)"},
                    401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return JSONResponse({"detail": f"the body is over this server's {limit} bytes"}, 413)
        if request.method in ("POST", "PUT", "PATCH") and length is None:
            body = b""
            async for chunk in request.stream():
                body += chunk
                if len(body) > limit:
                    return JSONResponse(
                        {"detail": f"the body is over this server's {limit} bytes"}, 413
                    )
            request._body = body  # the stream is read: hand the body on
        response = await call_next(request)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'"
        )
        return response

    @app.exception_handler(ScenarioError)
    async def scenario_error(request: Request, exc: ScenarioError) -> JSONResponse:
        return JSONResponse({"detail": _clean(problems_doc(exc))}, 422)

    @app.exception_handler(QueueFull)
    async def queue_full(request: Request, exc: QueueFull) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, 429, headers={"Retry-After": "30"})

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("error answering %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "internal error"}, 500)

    # --- the page ------------------------------------------------------------------------
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    # --- scenarios -----------------------------------------------------------------------
    @app.get("/api/scenarios", summary="The library scenarios")
    def scenarios() -> list[dict[str, str]]:
        return library.listing()

    def _library(name: str) -> Source:
        src = library.get(name)
        if src is None:
            raise HTTPException(404, f"no library scenario {name!r}; see GET /api/scenarios")
        return src

    def _upload(request: Request, sha: str) -> Source:
        text = request.app.state.store.upload(sha) if SHA_RE.fullmatch(sha) else None
        if text is None:
            raise HTTPException(404, "no uploaded scenario with that SHA-256")
        return parse_text(text, f"upload:{sha[:12]}", upload=sha)

    @app.get("/api/scenarios/{name}", summary="A library scenario, its levers and their values")
    def scenario(name: str) -> dict[str, Any]:
        return describe(_library(name))

    @app.get("/api/scenarios/{name}/toml", summary="A library scenario's file")
    def scenario_toml(name: str) -> PlainTextResponse:
        return PlainTextResponse(_library(name).text, media_type="application/toml")

    @app.post("/api/uploads", status_code=201, summary="Upload a scenario file (TOML)")
    def upload(body: UploadRequest, request: Request) -> dict[str, Any]:
        src = _store_upload(request, body.scenario_toml)
        return {"sha256": src.upload, **describe(src)}

    @app.get("/api/uploads/{sha}", summary="An uploaded scenario, its levers and their values")
    def uploaded(sha: str, request: Request) -> dict[str, Any]:
        return describe(_upload(request, sha))

    def _store_upload(request: Request, text: str) -> Source:
        src = parse_text(text, "scenario_toml")
        prepare_run(src, settings.limits)  # refuse a file that cannot run before storing it
        request.app.state.store.put_upload(src.sha256, text)
        return parse_text(text, f"upload:{src.sha256[:12]}", upload=src.sha256)

    def _source(body: Source_, request: Request) -> Source:
        if body.library is not None:
            return _library(body.library)
        if body.upload is not None:
            return _upload(request, body.upload)
        assert body.scenario_toml is not None
        return _store_upload(request, body.scenario_toml)

    # --- runs ----------------------------------------------------------------------------
    @app.post("/api/runs", status_code=202, summary="Start a run", response_model=JobCreated)
    def start_run(body: RunRequest, request: Request) -> JobCreated:
        src = _source(body, request)
        spec = prepare_run(
            src,
            settings.limits,
            overrides=body.overrides,
            levers=body.levers,
            replicates=body.replicates,
            seed=body.seed,
        )
        doc = _request_doc(src, spec.overrides, body.levers, spec.replicates, spec.seed)
        job_id, cached = request.app.state.manager.submit("run", spec, doc)
        status = "done" if cached else "queued"
        return JobCreated(id=job_id, status=status, cached=cached, upload=src.upload)

    def _job(request: Request, job_id: str, kind: str) -> dict[str, Any]:
        row = request.app.state.store.job(job_id) if len(job_id) < 64 else None
        if row is None or row["kind"] != kind:
            raise HTTPException(404, f"no {kind} with that id")
        return row

    @app.get("/api/runs/{job_id}", summary="A run's status, progress and summary")
    def get_run(job_id: str, request: Request) -> dict[str, Any]:
        row = _job(request, job_id, "run")
        out = _status(request, row)
        if row["status"] == "done":
            result = request.app.state.store.result(row["key"])
            if result is not None:
                out["summary"] = result["summary"]
                out["headline"] = headline(result["summary"])
                out["binding"] = binding_shares(result["series"])
                out["files"] = _files(request, row)
        elif row["status"] == "running" and row["partial"]:
            out["partial"] = {k: v for k, v in row["partial"].items() if k != "series"}
        return out

    @app.get("/api/runs/{job_id}/series", summary="A run's charts: weekly series with bands")
    def get_series(job_id: str, request: Request) -> dict[str, Any]:
        row = _job(request, job_id, "run")
        result = request.app.state.store.result(row["key"]) if row["status"] == "done" else None
        if result is not None:
            doc = result["series"]
        elif row["status"] == "running" and row["partial"]:
            doc = row["partial"]["series"]
        else:
            raise HTTPException(409, f"the run is {row['status']}: no series yet")
        rec = state["record"]
        note = state["record_note"]
        if rec is None and note == "loading":
            out_record = {"note": "ICE's 2025 record is loading; reload to see it"}
        else:
            out_record = record(rec, doc.get("start_date"), doc["days"])
        return {"status": row["status"], "series": doc, "record": out_record}

    @app.delete("/api/runs/{job_id}", status_code=202, summary="Cancel a run")
    def cancel_run(job_id: str, request: Request) -> dict[str, Any]:
        return _cancel(request, _job(request, job_id, "run"))

    @app.get("/api/runs/{job_id}/files/{name}", summary="Download the TOML, summary or a table")
    def run_file(job_id: str, name: str, request: Request) -> Response:
        row = _job(request, job_id, "run")
        if name == "scenario.toml":
            return _scenario_file(request, row)
        if name not in FILES or row["status"] != "done":
            raise HTTPException(404, "no such file for this run")
        path = request.app.state.store.result_dir(row["key"]) / name
        if not path.is_file():
            raise HTTPException(404, "no such file for this run")
        stem = row["request"].get("library") or "scenario"
        return FileResponse(path, media_type=FILES[name], filename=f"{stem}-{name}")

    def _files(request: Request, row: dict[str, Any]) -> list[str]:
        folder = request.app.state.store.result_dir(row["key"])
        names = ["scenario.toml", *(n for n in FILES if (folder / n).is_file())]
        return [f"/api/runs/{row['id']}/files/{n}" for n in names]

    def _scenario_file(request: Request, row: dict[str, Any]) -> Response:
        req = row["request"]
        src = _library(req["library"]) if req.get("library") else _upload(request, req["upload"])
        data = apply(src.raw, req.get("overrides") or {}, src.label)
        data.setdefault("scenario", {})
        if req.get("seed") is not None:
            data["scenario"]["seed"] = req["seed"]
        if req.get("replicates") is not None:
            data["scenario"]["replicates"] = req["replicates"]
        sets = "".join(f"\n#   {k} = {v!r}" for k, v in (req.get("overrides") or {}).items())
        head = f"# {src.label} as run by the enforcesim web app" + (
            f", with these changes:{sets}" if sets else ""
        )
        stem = req.get("library") or "scenario"
        return Response(
            dumps(data, header=head),
            media_type="application/toml",
            headers={"Content-Disposition": f'attachment; filename="{stem}.toml"'},
        )

    # --- sweeps and the flagship ---------------------------------------------------------
    @app.post("/api/sweeps", status_code=202, summary="Start a sweep", response_model=JobCreated)
    def start_sweep(body: SweepRequest, request: Request) -> JobCreated:
        src = _source(body, request)
        base = prepare_run(
            src,
            settings.limits,
            overrides=body.overrides,
            levers=body.levers,
            replicates=body.replicates,
            seed=body.seed,
        )
        spec = prepare_sweep(base, body.vary, settings.limits)
        doc = _request_doc(src, base.overrides, body.levers, base.replicates, base.seed)
        doc["vary"] = body.vary
        job_id, _ = request.app.state.manager.submit("sweep", spec, doc)
        return JobCreated(id=job_id, status="queued", upload=src.upload)

    @app.get("/api/sweeps/{job_id}", summary="A sweep's status, progress and points")
    def get_sweep(job_id: str, request: Request) -> dict[str, Any]:
        return _status_with_result(request, _job(request, job_id, "sweep"))

    @app.delete("/api/sweeps/{job_id}", status_code=202, summary="Cancel a sweep")
    def cancel_sweep(job_id: str, request: Request) -> dict[str, Any]:
        return _cancel(request, _job(request, job_id, "sweep"))

    @app.post(
        "/api/flagship",
        status_code=202,
        summary="Start the flagship study's quick plan (seconds to minutes)",
        response_model=JobCreated,
    )
    def start_flagship(request: Request) -> JobCreated:
        spec = _FlagshipSpec()
        job_id, _ = request.app.state.manager.submit("flagship", spec, {"plan": "quick"})
        return JobCreated(id=job_id, status="queued")

    @app.get("/api/flagship/{job_id}", summary="The flagship study's status and report")
    def get_flagship(job_id: str, request: Request) -> dict[str, Any]:
        return _status_with_result(request, _job(request, job_id, "flagship"))

    @app.delete("/api/flagship/{job_id}", status_code=202, summary="Cancel the flagship study")
    def cancel_flagship(job_id: str, request: Request) -> dict[str, Any]:
        return _cancel(request, _job(request, job_id, "flagship"))

    @app.get("/api/flagship/{job_id}/report.html", summary="The flagship study's report")
    def flagship_report(job_id: str, request: Request) -> FileResponse:
        row = _job(request, job_id, "flagship")
        path = request.app.state.manager.flagship_dir(row["id"]) / "report.html"
        if row["status"] != "done" or not path.is_file():
            raise HTTPException(404, "no report for this job")
        return FileResponse(path, media_type="text/html")

    # --- shared --------------------------------------------------------------------------
    def _status_with_result(request: Request, row: dict[str, Any]) -> dict[str, Any]:
        """A job's status and, once it is done, the result it stored (sweeps, studies)."""
        out = _status(request, row)
        if row["status"] == "done":
            out["result"] = row["result"]
        return out

    def _status(request: Request, row: dict[str, Any]) -> dict[str, Any]:
        manager: JobManager = request.app.state.manager
        out: dict[str, Any] = {
            "id": row["id"],
            "kind": row["kind"],
            "status": row["status"],
            "progress": round(float(row["progress"]), 4),
            "request": row["request"],
            "key": row["key"],
            "created": row["created"],
            "started": row["started"],
            "finished": row["finished"],
        }
        if row["error"] is not None:
            out["error"] = row["error"]
        if row["status"] == "queued":
            out["queued_ahead"] = manager.queued_ahead(row["id"])
        if manager.cancelling(row["id"]):
            out["note"] = CANCEL_NOTE
        return out

    def _cancel(request: Request, row: dict[str, Any]) -> dict[str, Any]:
        status = request.app.state.manager.cancel(row["id"])
        if status == "shared":
            raise HTTPException(
                409, "this job computes a library scenario for everyone; it cannot be cancelled"
            )
        out = {"id": row["id"], "status": status}
        if status == "running":
            out["note"] = CANCEL_NOTE
        return out

    @app.get("/api/limits", summary="This server's limits (docs/web-api.md)")
    def limits() -> dict[str, Any]:
        lim = settings.limits
        return {**lim.__dict__, "threads_per_job": lim.threads(), "auth": bool(settings.token)}

    return app


class _FlagshipSpec:
    key = None


def _request_doc(
    src: Source,
    overrides: dict[str, Any] | None = None,
    levers: dict[str, Any] | None = None,
    replicates: int | None = None,
    seed: int | None = None,
) -> dict[str, Any]:
    return {
        "library": src.library,
        "upload": src.upload,
        "overrides": overrides or {},
        "levers": levers or {},
        "replicates": replicates,
        "seed": seed,
    }


def _hostname(host: str) -> str:
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _clean(obj: Any) -> Any:
    """JSON-safe: non-finite floats as text."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    return obj
