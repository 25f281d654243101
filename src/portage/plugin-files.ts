/**
 * netaudit's test-runner hooks, the Python files of src/portage/ that a build finds first on its PYTHONPATH:
 * copied into a temp dir per audit (src/runner/test-log.ts) and into /etc/portage for `netaudit watch`'s hook
 * (src/portage/watch-hook.ts). sitecustomize.py loads the pytest plugin and the unittest hook; both write the
 * test log through netaudit_log.py.
 */
export const PYTEST_PLUGIN = 'netaudit_pytest';
export const PLUGIN_FILES = [`${PYTEST_PLUGIN}.py`, 'netaudit_unittest.py', 'netaudit_log.py', 'sitecustomize.py'] as const;
