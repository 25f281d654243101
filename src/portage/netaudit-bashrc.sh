# netaudit phase markers: copied into the shadow config root as etc/portage/bashrc (see src/portage/hook.ts)
if [[ -n ${NETAUDIT_USER_BASHRC} && -r ${NETAUDIT_USER_BASHRC} ]]; then
	source "${NETAUDIT_USER_BASHRC}"
fi
if [[ ${EBUILD_PHASE} != depend && -n ${NETAUDIT_PHASE_LOG} ]]; then
	__netaudit_mark() {
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${EPOCHREALTIME}" "$1" "${EBUILD_PHASE:--}" "${EBUILD_PHASE_FUNC:--}" \
			"${CATEGORY}/${PF}" "${BASHPID}:${EUID}" "$2" >> "${NETAUDIT_PHASE_LOG}" 2>/dev/null || :
	}
	__netaudit_mark start "${0##*/}"
	__netaudit_prev_exit=$(trap -p EXIT)
	__netaudit_prev_exit=${__netaudit_prev_exit#trap -- \'}
	__netaudit_prev_exit=${__netaudit_prev_exit%\' EXIT}
	trap '__netaudit_rc=$?; __netaudit_mark end "rc=${__netaudit_rc}"; '"${__netaudit_prev_exit:+${__netaudit_prev_exit};}"' (exit ${__netaudit_rc})' EXIT
fi
# Test attribution (src/runner/tests.ts): pytest run by src_test loads netaudit's plugin, which logs each test
# phase to NETAUDIT_TEST_LOG. Only src_test, and only when netaudit gave both variables. The plugin's directory
# first on PYTHONPATH is all: its sitecustomize.py asks pytest for the plugin from inside each interpreter that
# can import it. No PYTEST_PLUGINS: a suite that replaces PYTHONPATH would inherit the name without the module
# and fail with "Error importing plugin".
if [[ ${EBUILD_PHASE} == test && -n ${NETAUDIT_TEST_LOG} && -n ${NETAUDIT_PYTEST_DIR} ]]; then
	export NETAUDIT_TEST_LOG
	export PYTHONPATH=${NETAUDIT_PYTEST_DIR}${PYTHONPATH:+:${PYTHONPATH}}
fi
