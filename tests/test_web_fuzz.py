"""Property-based fuzzing of the web API from its own OpenAPI schema: no input gives a 5xx."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

pytest.importorskip("schemathesis")
import schemathesis  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from enforcesim.web import create_app  # noqa: E402
from web_support import settings as app_settings  # noqa: E402

# A small event limit: every run the fuzzer gets accepted is tiny, so the jobs it starts end
# in moments. The flagship study (minutes of work whatever its input) is left out.
APP = create_app(
    app_settings(
        Path(tempfile.mkdtemp(prefix="enforcesim-fuzz-")), max_events=2e6, max_replicates=5
    )
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP).exclude(path_regex="flagship")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_errors(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=[not_a_server_error])
