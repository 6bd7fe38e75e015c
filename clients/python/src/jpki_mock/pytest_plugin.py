"""The pytest plugin (registered through the `pytest11` entry point): the
session-scoped fixture `jpki_mock`, a `JpkiMock` server started once per test session
(once per worker under pytest-xdist) and stopped at its end, and the function-scoped
fixture `jpki_mock_tenant`, a fresh tenant of that server for each test.

The binary is `--jpki-mock-bin PATH` if given, else `$JPKI_MOCK_BIN`, else `jpki-mock`
on `PATH`.
"""

from __future__ import annotations

from typing import Iterator

import pytest

from .client import JpkiMock, JpkiMockStartError, find_binary


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("jpki_mock", "jpki-mock (mock JPKI certificate authority)")
    group.addoption(
        "--jpki-mock-bin", dest="jpki_mock_bin", default=None, metavar="PATH",
        help="the jpki-mock binary for the jpki_mock fixture "
             "(default: $JPKI_MOCK_BIN, else jpki-mock on PATH)")


def pytest_report_header(config: pytest.Config) -> str:
    try:
        return f"jpki-mock: {find_binary(config.getoption('jpki_mock_bin'))}"
    except JpkiMockStartError:
        return "jpki-mock: binary not found (set JPKI_MOCK_BIN)"


@pytest.fixture(scope="session")
def jpki_mock(request: pytest.FixtureRequest) -> Iterator[JpkiMock]:
    """A jpki-mock server (`serve --ephemeral --listen 127.0.0.1:0`) shared by the
    session's tests: its cards, clock, faults and request log carry over from one test
    to the next (`jpki_mock.reset()` restores the clock, faults and log)."""
    with JpkiMock.start(request.config.getoption("jpki_mock_bin")) as mock:
        yield mock


@pytest.fixture
def jpki_mock_tenant(jpki_mock: JpkiMock) -> Iterator[JpkiMock]:
    """A tenant of the session's `jpki_mock` server for this test alone: a whole mock
    of its own (CAs, cards, clock, faults, request log) under `/t/{tenant}`, created
    before the test and deleted after it. Tests that use it see nothing of each other,
    so they may move the clock or inject faults and run in parallel."""
    with jpki_mock.create_tenant() as tenant:
        yield tenant
