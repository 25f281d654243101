# netaudit's pytest plugin: which test ran when, so that each network attempt can name the test that made it.
#
# Loaded by sitecustomize.py in this directory, which netaudit puts first on PYTHONPATH (src/runner/tests.ts):
# pytest's plugin manager imports it where it reads PYTEST_PLUGINS, so it loads under
# PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 too (Gentoo's epytest), and only in interpreters that can import it.
# NETAUDIT_TEST_LOG names the log.
#
# One JSON line per test phase (setup, call, teardown), appended to NETAUDIT_TEST_LOG:
#   {"v": 1, "start": epoch s, "end": epoch s, "pid": N, "phase": "call", "outcome": "failed", "nodeid": "t.py::test_x"}
# Each line is one write(2) on a descriptor opened with O_APPEND, so xdist workers and nested runs (pytester)
# share the file without tearing lines. Only the process that runs a test writes its lines (the xdist
# controller runs none).
#
# It must never change a test suite's result: every failure in here is swallowed, nothing goes to the terminal,
# and without NETAUDIT_TEST_LOG it does nothing. Plain Python 3 syntax, pytest 7 and later.
import json
import os
import time

import pytest

# A tuple, not a module attribute: freezegun replaces module attributes that are time.time while a test runs.
_CLOCK = (time.time,)
_LOG = os.environ.get("NETAUDIT_TEST_LOG") or None
_PHASES = ("setup", "call", "teardown")
# item -> {phase: (start, end)} of the phases that ran but were not written yet.
_SPANS = {}


def _now():
    try:
        return _CLOCK[0]()
    except Exception:
        return 0.0


def _write(record):
    try:
        line = json.dumps(record, ensure_ascii=True, separators=(",", ":")) + "\n"
        fd = os.open(_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
        try:
            os.write(fd, line.encode("ascii"))
        finally:
            os.close(fd)
    except Exception:
        pass


def _timed(item, phase):
    """A hookwrapper body: the time around the phase's hook, kept for the report of that phase."""
    start = _now()
    try:
        yield
    finally:
        try:
            _SPANS.setdefault(id(item), {})[phase] = (start, _now())
        except Exception:
            pass


if _LOG:

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_setup(item):
        yield from _timed(item, "setup")

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_call(item):
        yield from _timed(item, "call")

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_teardown(item, nextitem):
        yield from _timed(item, "teardown")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(item, call):
        made = yield
        try:
            phase = getattr(call, "when", None)
            if phase not in _PHASES:
                return
            spans = _SPANS.get(id(item), {})
            span = spans.pop(phase, None)
            if not spans:
                _SPANS.pop(id(item), None)
            if span is None:
                span = (getattr(call, "start", 0.0), getattr(call, "stop", 0.0))
            report = made.get_result()
            outcome = getattr(report, "outcome", None)
            if outcome == "skipped" and hasattr(report, "wasxfail"):
                outcome = "xfailed"
            _write(
                {
                    "v": 1,
                    "start": round(float(span[0]), 6),
                    "end": round(float(span[1]), 6),
                    "pid": os.getpid(),
                    "phase": phase,
                    "outcome": str(outcome),
                    "markers": sorted({str(m.name) for m in item.iter_markers()}),
                    "nodeid": str(getattr(item, "nodeid", "")),
                }
            )
        except Exception:
            pass
