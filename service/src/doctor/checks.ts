/**
 * The checks of `tflog doctor`, as pure functions from what was found
 * (facts.ts) to report lines (report.ts). Every problem says how to fix
 * it: which variable or setting, which privilege, which command.
 */
export { formatBytes, reasonOf, whereToSet } from './common';
export * from './config-checks';
export * from './es-checks';
export * from './hub-checks';
export * from './local-checks';
