"""The installed package alone gives a test suite the `jpki_mock` fixture: pytest runs
in an empty directory with one test file, no conftest.py (and `--noconftest`)."""

import os
import subprocess
import sys
import textwrap

import pytest

from jpki_mock import find_binary

SUITE = textwrap.dedent('''
    import os
    from jpki_mock import JpkiMock

    seen = []

    def test_first(jpki_mock):
        assert isinstance(jpki_mock, JpkiMock)
        seen.append(jpki_mock.base_url)
        card = jpki_mock.issue()
        assert card["card_id"] == 1
        with open(os.environ["PID_FILE"], "w") as f:
            f.write(str(jpki_mock.process.pid))

    def test_second_shares_the_session_server(jpki_mock):
        assert seen == [jpki_mock.base_url]
        assert jpki_mock.issue()["card_id"] == 2
''')


TENANT_SUITE = textwrap.dedent('''
    seen = []

    def test_first(jpki_mock, jpki_mock_tenant):
        seen.append(jpki_mock_tenant.tenant)
        assert jpki_mock_tenant.base_url == jpki_mock.base_url + "/t/" + seen[0]
        assert jpki_mock_tenant.issue()["card_id"] == 1
        jpki_mock_tenant.set_clock("2030-01-01")
        jpki_mock_tenant.inject({"fault": "delay", "ms": 1})

    def test_second_has_a_tenant_of_its_own(jpki_mock, jpki_mock_tenant):
        assert len(seen) == 1 and jpki_mock_tenant.tenant != seen[0]
        # The first test's tenant is gone with its test; nothing of it is seen here.
        assert [t["tenant"] for t in jpki_mock.tenants()] == [jpki_mock_tenant.tenant]
        assert jpki_mock_tenant.issue()["card_id"] == 1
        assert jpki_mock_tenant.clock()["mode"] == "system"
        assert jpki_mock_tenant.faults() == []
''')


def run_pytest(directory, env, *args, suite=SUITE):
    (directory / "test_uses_the_fixture.py").write_text(suite)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--noconftest",
         "-rA", *args],
        cwd=directory, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, timeout=120)


@pytest.fixture
def suite_env(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JPKI_MOCK_", "PYTEST_"))}
    env["PID_FILE"] = str(tmp_path / "server.pid")
    return env


def test_the_fixture_needs_no_conftest_and_stops_its_server(tmp_path, suite_env):
    suite_env["JPKI_MOCK_BIN"] = find_binary()
    (tmp_path / "suite").mkdir()
    result = run_pytest(tmp_path / "suite", suite_env)
    assert result.returncode == 0, result.stdout
    assert "2 passed" in result.stdout
    # The session's server is gone with the session.
    pid = int((tmp_path / "server.pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_the_tenant_fixture_gives_each_test_its_own_tenant(tmp_path, suite_env):
    suite_env["JPKI_MOCK_BIN"] = find_binary()
    (tmp_path / "suite").mkdir()
    result = run_pytest(tmp_path / "suite", suite_env, suite=TENANT_SUITE)
    assert result.returncode == 0, result.stdout
    assert "2 passed" in result.stdout


def test_the_command_line_option_names_the_binary(tmp_path, suite_env):
    suite_env["JPKI_MOCK_BIN"] = str(tmp_path / "nowhere")  # the option wins
    (tmp_path / "suite").mkdir()
    result = run_pytest(tmp_path / "suite", suite_env, "--jpki-mock-bin", find_binary())
    assert result.returncode == 0, result.stdout
    assert f"jpki-mock: {find_binary()}" in result.stdout  # the report header


def test_a_missing_binary_is_a_clear_fixture_error(tmp_path, suite_env):
    suite_env["JPKI_MOCK_BIN"] = str(tmp_path / "nowhere")
    (tmp_path / "suite").mkdir()
    result = run_pytest(tmp_path / "suite", suite_env)
    assert result.returncode == 1, result.stdout
    assert "2 errors" in result.stdout
    assert "jpki-mock binary not found: $JPKI_MOCK_BIN is" in result.stdout
