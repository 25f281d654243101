# The test log of netaudit's test-runner hooks (netaudit_pytest.py, netaudit_unittest.py; same directory, first
# on PYTHONPATH). NETAUDIT_TEST_LOG names it; without it LOG is None and the hooks write nothing.
#
# One JSON line per record, written with a single write() on an O_APPEND descriptor, so that the lines of
# parallel workers (pytest-xdist, forked runners) never interleave. It never raises: a hook must not change a
# suite's result. Plain Python 3 syntax.
import json
import os

LOG = os.environ.get("NETAUDIT_TEST_LOG") or None


def write(record):
    try:
        line = json.dumps(record, ensure_ascii=True, separators=(",", ":")) + "\n"
        fd = os.open(LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
        try:
            os.write(fd, line.encode("ascii"))
        finally:
            os.close(fd)
    except Exception:
        pass
