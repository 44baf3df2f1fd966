"""Hypothesis profiles: bounded and derandomized in CI (the same examples every run, so a property
failure there is reproducible and never a matter of luck), random locally, deeper with
HYPOTHESIS_PROFILE=deep. And grpc.aio's global state held for the whole session (see
``pytest_configure``)."""

import os

import pytest
from grpc.experimental import aio
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=150, deadline=None)
settings.register_profile("deep", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


def pytest_configure(config: pytest.Config) -> None:
    """Start grpc.aio's global state once, from the main thread, and keep it for the session.

    grpc.aio shuts its poller down whenever the last server or channel is gone, which in a test suite
    is between most tests; that shutdown can hang for good on a join of the poller thread (a race in
    grpc's shutdown, grpc/grpc#40989; seen here once as a suite stuck after an OrderSession test).
    Holding one reference of our own means it never shuts down mid-session."""
    aio.init_grpc_aio()
