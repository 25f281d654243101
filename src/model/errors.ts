/**
 * Errors that mean "netaudit itself could not do its job" (exit code 2). Each kind has a stable code and a
 * one-line message that names the problem and the fix.
 */
export type UsageErrorCode =
  | 'E_NOT_ROOT'
  | 'E_MISSING_TOOL'
  | 'E_NO_NETNS'
  | 'E_BAD_ARGUMENT'
  | 'E_NO_SUCH_FILE'
  | 'E_BAD_PCAP'
  | 'E_BAD_REPORT'
  | 'E_SETUP'
  | 'E_NO_SUCH_EBUILD'
  | 'E_PORTAGE';

export class NetauditError extends Error {
  readonly code: UsageErrorCode;
  readonly exitCode = 2;
  constructor(code: UsageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NetauditError';
    this.code = code;
  }
}

export function isNetauditError(e: unknown): e is NetauditError {
  return e instanceof NetauditError;
}
