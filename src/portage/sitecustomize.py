# netaudit's loader for its pytest plugin (netaudit_pytest.py, in the same directory). netaudit puts this
# directory first on PYTHONPATH (src/runner/tests.ts, the bashrc's src_test block); Python's `site` imports the
# first sitecustomize on sys.path at start-up, so every interpreter that still has that PYTHONPATH runs this
# file, and no other does.
#
# Why not PYTEST_PLUGINS=netaudit_pytest: an environment variable outlives the PYTHONPATH that makes the plugin
# importable. A suite that replaces PYTHONPATH (`local -x PYTHONPATH=${S}/src`, tox envs), a `python -E`/`-I`
# run, or a child started with a cleaned environment that keeps PYTEST_* would see the name but not the module,
# and pytest stops with "Error importing plugin": a failure netaudit made. Ebuilds also replace PYTEST_PLUGINS
# (`local -x PYTEST_PLUGINS=xdist.plugin` next to PYTEST_DISABLE_PLUGIN_AUTOLOAD=1), which dropped the plugin.
# Here the request and the module travel together: only an interpreter that found this file on its path asks
# pytest for the plugin, right where pytest reads PYTEST_PLUGINS (PytestPluginManager.consider_env, pytest 7
# to 9), so it loads under PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 too and `-p no:netaudit_pytest` still blocks it.
# Nothing is added to os.environ. xdist workers and subprocess pytester runs inherit PYTHONPATH and so load it.
#
# How: one finder at the front of sys.meta_path that waits for `_pytest.config`, wraps that module's loader
# so that consider_env is patched right after the module runs, and leaves sys.meta_path then.
# In a Python process that never imports pytest the finder stays (it answers None for every other import).
# Without NETAUDIT_TEST_LOG it is not installed at all.
#
# This file shadows the sitecustomize the interpreter would have run (Debian's /usr/lib/python3.X/
# sitecustomize.py, a venv's, the build's own on PYTHONPATH): that one is found on the entries of sys.path after
# this directory and run as the module `sitecustomize`, as site would have. Errors of netaudit's own code are
# swallowed and print nothing; an error of the shadowed file propagates to site, which reports it just as it
# would have without netaudit ("Error in sitecustomize; ..."). When nothing is shadowed, this file ends with the
# ModuleNotFoundError that site takes for "no sitecustomize", so sys.modules looks as it would. Plain Python 3.
import os
import sys

_PLUGIN = "netaudit_pytest"
_TARGET = "_pytest.config"
_HERE = os.path.dirname(os.path.abspath(__file__))


def _same_dir(entry):
    try:
        return os.path.abspath(entry or os.curdir) == _HERE
    except Exception:
        return False


def _patch(module):
    """consider_env of pytest's plugin manager also imports our plugin (once per manager, errors swallowed)."""
    try:
        manager = module.PytestPluginManager
        original = manager.consider_env
        if getattr(original, "_netaudit", False):
            return

        def consider_env(self, *args, **kwargs):
            result = original(self, *args, **kwargs)
            try:
                self.import_plugin(_PLUGIN)
            except Exception:
                pass
            return result

        consider_env._netaudit = True
        consider_env.__doc__ = original.__doc__
        consider_env.__wrapped__ = original
        manager.consider_env = consider_env
    except Exception:
        pass


class _Finder(object):
    """Finds nothing itself: it answers the one import of _pytest.config with the spec the finders after it give,
    that module's loader wrapped, and leaves sys.meta_path once that module has run."""

    def __init__(self):
        self.done = False

    def find_spec(self, name, path=None, target=None):
        if self.done or name != getattr(self, "target", _TARGET):
            return None
        # Not removed from sys.meta_path here: the import system is iterating that very list.
        self.done = True
        try:
            spec = None
            for finder in list(sys.meta_path):
                find = None if finder is self else getattr(finder, "find_spec", None)
                spec = find(name, path, target) if find is not None else None
                if spec is not None:
                    break
            loader = getattr(spec, "loader", None)
            exec_module = getattr(loader, "exec_module", None)
            if exec_module is None:
                return spec

            def exec_and_patch(module):
                try:
                    exec_module(module)
                finally:
                    # The loader is the module's __loader__ from now on: back to the class's method, and done.
                    try:
                        del loader.exec_module
                    except Exception:
                        pass
                    try:
                        sys.meta_path.remove(self)
                    except Exception:
                        pass
                getattr(self, "patch", _patch)(module)

            loader.exec_module = exec_and_patch
            return spec
        except Exception:
            # As if this finder had never been there: the finders after it answer.
            return None


class _UnittestFinder(_Finder):
    """The same, for unittest suites (eunittest): once unittest.case has run, netaudit_unittest (same directory)
    wraps TestCase.run. Imported only then, so interpreters that never run unittest load nothing more."""

    target = "unittest.case"

    def patch(self, module):
        try:
            import netaudit_unittest

            netaudit_unittest.patch(module)
        except Exception:
            pass


def _install():
    try:
        # Python 2's import system would call find_module on it, which it has not (and pytest 7 is Python 3).
        if sys.version_info >= (3, 4) and os.environ.get("NETAUDIT_TEST_LOG") and not any(isinstance(f, _Finder) for f in sys.meta_path):
            sys.meta_path.insert(0, _Finder())
            if "unittest.case" not in sys.modules:
                sys.meta_path.insert(0, _UnittestFinder())
    except Exception:
        pass


def _bootstrap():
    """(module_from_spec, PathFinder) from the import system's own modules, already loaded: importing
    importlib.util here would load a dozen modules (functools, warnings, ...) into every interpreter."""
    try:
        return sys.modules["_frozen_importlib"].module_from_spec, sys.modules["_frozen_importlib_external"].PathFinder
    except Exception:
        import importlib.machinery
        import importlib.util

        return importlib.util.module_from_spec, importlib.machinery.PathFinder


def _shadowed():
    """The spec of the sitecustomize this file hides, or None."""
    try:
        rest = []
        seen = False
        for entry in sys.path:
            if _same_dir(entry):
                seen = True
            elif seen and isinstance(entry, str):
                rest.append(entry)
        return _bootstrap()[1].find_spec("sitecustomize", rest) if seen else None
    except Exception:
        return None


def _chain_py2():
    """Python 2 (pypy2.7 on PYTHONPATH too): imp finds and runs the shadowed file; nothing else happens here."""
    try:
        import imp

        found = imp.find_module("sitecustomize", [e for e in sys.path if not _same_dir(e) and isinstance(e, str)])
    except Exception:
        raise ImportError("No module named sitecustomize")
    try:
        imp.load_module("sitecustomize", *found)
    finally:
        if found[0] is not None:
            found[0].close()


def _chain():
    if sys.version_info[0] < 3:
        return _chain_py2()
    spec = _shadowed()
    if spec is None or spec.loader is None:
        # No sitecustomize without netaudit: site takes this one error for "there is none" and says nothing,
        # and sys.modules has no sitecustomize, as before. The finder stays (it holds this module's globals).
        raise ModuleNotFoundError("No module named 'sitecustomize'", name="sitecustomize")
    try:
        module = _bootstrap()[0](spec)
    except Exception:
        return
    # The shadowed file becomes the module `sitecustomize` (the import system takes whatever sys.modules holds
    # when this file is done), and its own errors reach site as they would have.
    sys.modules["sitecustomize"] = module
    spec.loader.exec_module(module)


_install()
_chain()
