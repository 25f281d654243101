/** The netaudit version: the one place it is written (kept equal to package.json's by test/report/version.test.ts). */
export const VERSION = '0.1.0';
