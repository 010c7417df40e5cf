"""The web app and API: the study in a browser (docs/web-api.md).

The top layer, beside the command line and the Python API: it uses the public API
(`enforcesim.api.load`, `Results`) and the execution layer, and nothing imports it.
`enforcesim serve` starts it; `create_app(Settings(...))` builds it for tests and ASGI
servers. FastAPI and uvicorn are the optional extra `web` (`pip install enforcesim[web]`),
so they are imported only when the app is built.
"""

from typing import Any

from .settings import Limits, Settings

__all__ = ["Limits", "Settings", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(name)
