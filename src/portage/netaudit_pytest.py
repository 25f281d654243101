# netaudit's pytest plugin: which test ran when, so that each network attempt can name the test that made it.
#
# Loaded by sitecustomize.py in this directory, which netaudit puts first on PYTHONPATH (src/runner/tests.ts):
# pytest's plugin manager imports it where it reads PYTEST_PLUGINS, so it loads under
# PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 too (Gentoo's epytest), and only in interpreters that can import it.
# NETAUDIT_TEST_LOG names the log.
#
# One JSON line per test phase (setup, call, teardown), appended to NETAUDIT_TEST_LOG:
#   {"v": 2, "start_us": epoch µs, "end_us": epoch µs, "start": epoch s, "end": epoch s, "pid": N, "phase": "call",
#    "outcome": "failed", "markers": ["network"], "nodeid": "t.py::test_x"}
# Times are integers of microseconds from time.time_ns() (what the tracer and the capture measure to), with the
# same moments in seconds for readers of v1. outcome is the phase's: passed, failed, skipped, xfailed, xpassed,
# or error (a setup or teardown that failed), as pytest's summary counts its reports. The teardown line also
# has "final", the test's own outcome: failed when its call failed, else error when its setup or teardown
# failed, else its call's (passed, skipped, xfailed, xpassed), else its setup's skip. markers: the names of the
# test's marks (item.iter_markers(), closest first, deduplicated).
# One more line per session, once its tests are collected (so conftest.py files below the root have registered
# theirs), with no "phase":
#   {"v": 2, "type": "session", "pid": N, "declared_markers": ["network", ...], "strict_markers": false}
# declared_markers: the names of config.getini("markers"), what pytest checks a mark against before it warns
# PytestUnknownMarkWarning (or fails, under --strict-markers): pytest.ini, pyproject.toml
# [tool.pytest.ini_options], setup.cfg [tool:pytest], tox.ini, and config.addinivalue_line("markers", ...) of
# conftest.py files and plugins (pytest's own marks among them). strict_markers: --strict-markers (or --strict,
# or the strict_markers ini option) is on. Readers of lines with a phase skip it.
# Each line is one write(2) on a descriptor opened with O_APPEND, so xdist workers and nested runs (pytester)
# share the file without tearing lines. Only the process that runs a test writes its lines (the xdist
# controller runs none).
#
# It must never change a test suite's result: every failure in here is swallowed, nothing goes to the terminal,
# and without NETAUDIT_TEST_LOG it does nothing. Plain Python 3 syntax, pytest 7 and later.
import os
import time

import pytest

from netaudit_log import LOG as _LOG, write as _write

# A tuple, not a module attribute: freezegun replaces module attributes that are time.time_ns while a test runs.
_CLOCK = (getattr(time, "time_ns", None) or (lambda: int(time.time() * 1e9)),)
_PHASES = ("setup", "call", "teardown")
# item -> {phase: (start, end)} (epoch µs) of the phases that ran but were not written yet.
_SPANS = {}
# item -> {phase: outcome} of the phases written, until the teardown's line gives the final outcome.
_OUTCOMES = {}
_MAX_MARKERS = 32
_MAX_DECLARED = 256


def _now():
    """Epoch microseconds (an int)."""
    try:
        return int(_CLOCK[0]()) // 1000
    except Exception:
        return 0


def _phase_outcome(phase, report):
    outcome = str(getattr(report, "outcome", None))
    if hasattr(report, "wasxfail"):
        if outcome == "skipped":
            return "xfailed"
        if outcome == "passed":
            return "xpassed"
    if outcome == "failed" and phase != "call":
        return "error"
    return outcome


def _final(outcomes):
    """The test's outcome as pytest's summary counts it, from its phases'."""
    setup, call, teardown = (outcomes.get(p) for p in _PHASES)
    if call == "failed":
        return "failed"
    if "error" in (setup, teardown):
        return "error"
    if call is not None:
        return call
    if setup in ("skipped", "xfailed"):
        return setup
    return None


def _markers(item):
    names = []
    try:
        for mark in item.iter_markers():
            name = str(getattr(mark, "name", ""))
            if name and name not in names:
                names.append(name)
            if len(names) >= _MAX_MARKERS:
                break
    except Exception:
        pass
    return names


def _declared_markers(config):
    """The marker names the suite declares, as pytest parses its `markers` ini lines (`name(args): text`)."""
    names = []
    try:
        for line in config.getini("markers") or ():
            name = str(line).split(":")[0].split("(")[0].strip()
            if name and name not in names:
                names.append(name)
            if len(names) >= _MAX_DECLARED:
                break
    except Exception:
        pass
    return names


def _ini(config, name):
    """An ini value, None when this pytest has no such option (older pytest raises ValueError)."""
    try:
        return config.getini(name)
    except Exception:
        return None


def _strict_markers(config):
    """Whether an undeclared mark fails the run, as pytest decides it."""
    option = getattr(config, "option", None)
    # pytest < 9: the options --strict-markers and --strict.
    if getattr(option, "strict_markers", False) is True or getattr(option, "strict", False) is True:
        return True
    # pytest 9: the strict_markers ini option (which --strict-markers sets), else the strict one.
    value = _ini(config, "strict_markers")
    if value is None:
        value = _ini(config, "strict")
    return bool(value) if isinstance(value, bool) else False


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

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(session):
        try:
            config = session.config
            _write(
                {
                    "v": 2,
                    "type": "session",
                    "pid": os.getpid(),
                    "declared_markers": _declared_markers(config),
                    "strict_markers": _strict_markers(config),
                }
            )
        except Exception:
            pass

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
                span = (int(getattr(call, "start", 0.0) * 1e6), int(getattr(call, "stop", 0.0) * 1e6))
            outcome = _phase_outcome(phase, made.get_result())
            outcomes = _OUTCOMES.setdefault(id(item), {})
            outcomes[phase] = outcome
            record = {
                "v": 2,
                "start_us": span[0],
                "end_us": span[1],
                "start": span[0] / 1e6,
                "end": span[1] / 1e6,
                "pid": os.getpid(),
                "phase": phase,
                "outcome": outcome,
                "markers": _markers(item),
                "nodeid": str(getattr(item, "nodeid", "")),
            }
            if phase == "teardown":
                _OUTCOMES.pop(id(item), None)
                final = _final(outcomes)
                if final is not None:
                    record["final"] = final
            _write(record)
        except Exception:
            pass
