"""The bot authors' pytest plugin, seen from outside: inner pytest runs (pytester, in subprocesses so
their event loops, servers and exit handlers stay theirs) with the plugin loaded as a bot's would be."""

import json
import os
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["pytester"]

PLUGIN = "paperex"
"""The plugin's entry-point name: ``-p paperex`` loads it (if autoloading is off), ``-p no:paperex`` blocks it."""
INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""
RECORD = """
import json
from pathlib import Path

def record(**facts):
    with Path("observed.jsonl").open("a") as out:
        out.write(json.dumps(facts) + "\\n")
"""


def run(pytester: pytest.Pytester, *arguments: str, ini: str = INI) -> pytest.RunResult:
    pytester.makeini(ini)
    return pytester.runpytest_subprocess("-p", PLUGIN, "-p", "no:cacheprovider", *arguments, timeout=60)


def observed(pytester: pytest.Pytester) -> dict[str, dict[str, Any]]:
    lines = (pytester.path / "observed.jsonl").read_text().splitlines()
    return {facts["test"]: facts for facts in map(json.loads, lines)}


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_settings_reach_the_server_marker_over_command_line_over_ini(pytester: pytest.Pytester) -> None:
    """ini says calm, the command line turns the liquidity provider off; markers choose the scenario and
    seed, nearest first. The same seed replays the same prices, another seed does not."""
    pytester.makepyfile(
        record=RECORD,
        test_settings="""
        from datetime import timedelta
        import pytest
        from record import record

        async def index_after_ten_minutes(paperex):
            await paperex.advance(timedelta(minutes=10))
            ticker = await (await paperex.account()).ticker("BTCUSDT")
            return str(ticker.index_price)

        async def test_defaults(paperex):
            clock = await paperex.clock()
            record(test="defaults", scenario=clock.scenario, liquidity=clock.liquidity_provider)

        @pytest.mark.paperex(scenario="flash-crash", seed=7)
        async def test_seven(paperex):
            scenario = (await paperex.clock()).scenario
            record(test="seven", scenario=scenario, index=await index_after_ten_minutes(paperex))

        @pytest.mark.paperex("flash-crash", seed=7)
        async def test_seven_again(paperex):
            record(test="seven_again", index=await index_after_ten_minutes(paperex))

        @pytest.mark.paperex(scenario="flash-crash", seed=8)
        async def test_eight(paperex):
            record(test="eight", index=await index_after_ten_minutes(paperex))

        @pytest.mark.paperex(scenario="chop", seed=1)
        class TestNearestMarkerWins:
            @pytest.mark.paperex(seed=2, liquidity=True)
            async def test_method(self, paperex, paperex_server):
                clock = await paperex.clock()
                arguments = paperex_server.process.args
                seed = arguments[arguments.index("--seed") + 1]
                record(test="nearest", scenario=clock.scenario, liquidity=clock.liquidity_provider, seed=seed)
        """,
    )
    result = run(pytester, "--paperex-liquidity", "off", ini=INI + "paperex_scenario = calm\n")
    result.assert_outcomes(passed=5)
    facts = observed(pytester)
    assert facts["defaults"] == {"test": "defaults", "scenario": "calm", "liquidity": False}
    assert facts["seven"]["scenario"] == "flash-crash"
    assert facts["seven"]["index"] == facts["seven_again"]["index"] != facts["eight"]["index"]
    assert facts["nearest"] == {"test": "nearest", "scenario": "chop", "liquidity": True, "seed": "2"}


def test_each_test_gets_its_own_exchange_and_no_server_outlives_the_session(pytester: pytest.Pytester) -> None:
    """Both tests open "bot" (names are unique per exchange) and are its first account; the servers
    of a passing, a failing and an interrupting test are all gone once the inner run ends. A package
    named ``server`` beside the tests (and on PYTHONPATH: pytester puts it there) shadows nothing."""
    pytester.mkpydir("server").joinpath("__main__.py").write_text("raise SystemExit('the bot author\\'s server')\n")
    pytester.makepyfile(
        record=RECORD,
        test_isolation="""
        from record import record

        async def open_bot(name, paperex, paperex_account, paperex_server):
            bot = await paperex_account("bot", deposit="500")
            summary = await bot.account()
            record(test=name, pid=paperex_server.pid, target=paperex.target,
                   account_id=bot.account_id, wallet=str(summary.wallet_balance))

        async def test_first(paperex, paperex_account, paperex_server):
            await open_bot("first", paperex, paperex_account, paperex_server)

        async def test_second(paperex, paperex_account, paperex_server):
            await open_bot("second", paperex, paperex_account, paperex_server)

        async def test_failing(paperex, paperex_account, paperex_server):
            await open_bot("failing", paperex, paperex_account, paperex_server)
            assert False, "a bot's bug"

        def test_interrupted(paperex_server):
            record(test="interrupted", pid=paperex_server.pid)
            raise KeyboardInterrupt
        """,
    )
    result = run(pytester)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*a bot's bug*"])
    facts = observed(pytester)
    first, second = facts["first"], facts["second"]
    assert first["account_id"] == second["account_id"]
    assert first["wallet"] == second["wallet"] == "500"
    assert first["target"] != second["target"]
    pids = [int(facts[name]["pid"]) for name in ("first", "second", "failing", "interrupted")]
    assert len(set(pids)) == 4
    assert [pid for pid in pids if is_running(pid)] == []


def test_a_server_that_cannot_start_fails_the_test_with_its_stderr(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_start="""
        def test_needs_a_server(paperex_server):
            pass
        """
    )
    result = run(pytester, "--paperex-scenario", "no-such")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*paperex server exited with code 1 before listening*", "*--scenario no-such*", "*UNKNOWN_SCENARIO*"]
    )
    assert "<admin token>" in result.stdout.str()


def test_the_plugin_costs_nothing_unused_and_reports_mistakes_plainly(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A test without the fixtures finds neither grpc nor the SDK imported. A misspelt marker keyword,
    and the async fixtures without pytest-asyncio (hidden here by a package of that name on the inner
    run's path, pytester.path): each test errors with one sentence, and the plugin still loads, so a
    suite that does not use it is not broken by its absence."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.mkpydir("pytest_asyncio").joinpath("__init__.py").write_text("raise ImportError('not installed')\n")
    pytester.makepyfile(
        test_mistakes="""
        import sys
        import pytest

        def test_plain():
            assert {"grpc", "paperex.client.client", "paperex.client.testing.server_process"}.isdisjoint(sys.modules)

        @pytest.mark.paperex(sead=7)
        def test_typo(paperex_server):
            pass

        def test_async_fixture(paperex):
            pass
        """
    )
    pytester.makeini("[pytest]\n")
    result = pytester.runpytest_subprocess("-p", PLUGIN, "-p", "no:cacheprovider", timeout=60)
    result.assert_outcomes(passed=1, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*unknown paperex marker keywords *'sead'*; known: *'seed'*",  # fnmatch: no [brackets]
            "*paperex fixtures need pytest-asyncio: pip install 'paperex?pytest?'",
        ]
    )


def test_the_readmes_example_runs_as_pasted_in_strict_mode(pytester: pytest.Pytester) -> None:
    """The README's pytest example, copied as it stands, in a project without asyncio settings."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme[readme.index("## Testing a bot with pytest") :]
    example = section[section.index("```python\n") + len("```python\n") : section.index("\n```\n")]
    pytester.makepyfile(test_readme=example)

    result = run(pytester, ini="[pytest]\n")

    result.assert_outcomes(passed=1)
