// Helpers for tests and e2e only: temp dirs, processes started and cleaned up, polling with deadlines.
export { withTempDir } from './temp-dir.ts';
