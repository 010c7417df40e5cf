"""`enforcesim serve`: the web app on this machine (docs/web-api.md)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from .settings import TOKEN_ENV, Settings, check_limits, is_loopback, limits_from_env


def serve(
    host: Annotated[
        str,
        typer.Option(help="Address to listen on (loopback by default; any other needs a token)."),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    data: Annotated[
        Path, typer.Option("--data", help="The app's own folder for jobs and results (created).")
    ] = Path("out/web"),
    jobs: Annotated[int | None, typer.Option(help="Jobs running at once (default 2).")] = None,
    library: Annotated[
        Path | None, typer.Option(help="Folder of library scenarios (default scenarios/library).")
    ] = None,
    precompute: Annotated[
        bool, typer.Option(help="Compute the library scenarios in the background at start.")
    ] = True,
) -> None:
    """Start the web app and its JSON API (docs/web-api.md); Ctrl-C stops it."""
    import dataclasses

    import uvicorn

    from .app import create_app

    token = os.environ.get(TOKEN_ENV) or None
    if not is_loopback(host) and token is None:
        sys.stderr.write(
            f"--host {host} is not a loopback address: set {TOKEN_ENV} to a secret token, which "
            "every API request must then send (Authorization: Bearer TOKEN)\n"
        )
        raise typer.Exit(2)
    try:
        limits = limits_from_env()
        if jobs is not None:
            limits = check_limits(dataclasses.replace(limits, concurrent_jobs=jobs))
    except ValueError as exc:
        sys.stderr.write(f"{exc}\n")
        raise typer.Exit(2) from None
    if data.exists() and not data.is_dir():
        sys.stderr.write(f"--data {data}: exists and is not a folder\n")
        raise typer.Exit(2)
    settings = Settings(data.resolve(), library, token, host, precompute=precompute, limits=limits)
    app = create_app(settings)
    sys.stderr.write(f"enforcesim web app: http://{host}:{port}/ (data in {data})\n")
    uvicorn.run(app, host=host, port=port, log_level="warning")
