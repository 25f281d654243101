# netaudit's hook for unittest suites (eunittest, `python -m unittest`): which test ran when, so that each
# network attempt can name the test that made it, as netaudit_pytest.py does for pytest.
#
# sitecustomize.py (same directory, first on PYTHONPATH) calls patch() right after the module unittest.case has
# run, and only when NETAUDIT_TEST_LOG is set. TestCase.run is wrapped: every unittest runner goes through it.
# Under pytest (which drives TestCase.run for unittest-style classes) it writes nothing: pytest's plugin names
# those tests with pytest's own ids.
#
# One JSON line per test, in the pytest plugin's format (phase "call"; the id is TestCase.id(),
# `module.Class.test_method`):
#   {"v": 1, "start": epoch s, "end": epoch s, "pid": N, "phase": "call", "outcome": "failed", "nodeid": "tests.test_net.T.test_x"}
# outcome: failed (an error or a failure, an unexpected success), skipped, xfailed (an expected failure), passed.
#
# It must never change a suite's result: every failure in here is swallowed, nothing goes to the terminal.
import os
import sys
import time

from netaudit_log import LOG as _LOG, write as _write

_CLOCK = (time.time,)
# The result lists whose growth during a test gives its outcome, first match wins.
_OUTCOMES = (("errors", "failed"), ("failures", "failed"), ("unexpectedSuccesses", "failed"), ("expectedFailures", "xfailed"), ("skipped", "skipped"))


def _now():
    try:
        return _CLOCK[0]()
    except Exception:
        return 0.0


def _counts(result):
    out = {}
    for name, _ in _OUTCOMES:
        try:
            out[name] = len(getattr(result, name))
        except Exception:
            out[name] = None
    return out


def _outcome(result, before):
    after = _counts(result)
    for name, outcome in _OUTCOMES:
        if before.get(name) is not None and after.get(name) is not None and after[name] > before[name]:
            return outcome
    return "passed" if result is not None else "unknown"


def patch(case):
    """Wrap case.TestCase.run (once) so that each test run outside pytest logs its span and outcome."""
    try:
        original = case.TestCase.run
        if getattr(original, "_netaudit", False) or not _LOG:
            return

        def run(self, result=None, *args, **kwargs):
            if "_pytest.unittest" in sys.modules:
                return original(self, result, *args, **kwargs)
            try:
                before = _counts(result)
            except Exception:
                before = {}
            start = _now()
            try:
                return original(self, result, *args, **kwargs)
            finally:
                try:
                    _write(
                        {
                            "v": 1,
                            "start": round(float(start), 6),
                            "end": round(float(_now()), 6),
                            "pid": os.getpid(),
                            "phase": "call",
                            "outcome": _outcome(result, before),
                            "nodeid": str(self.id()),
                        }
                    )
                except Exception:
                    pass

        run._netaudit = True
        run.__doc__ = original.__doc__
        run.__wrapped__ = original
        case.TestCase.run = run
    except Exception:
        pass
