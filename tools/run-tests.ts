// `npm test`: every project's typecheck, lint and test targets through Nx, then one closing line
// `N passed, N failed, N skipped` added up from dist/results (see tools/check.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const workspace = resolve(import.meta.dirname, '..');
const resultsDir = join(workspace, 'dist', 'results');
rmSync(resultsDir, { recursive: true, force: true });

const nx = spawnSync(
  join(workspace, 'node_modules', '.bin', 'nx'),
  ['run-many', '-t', 'typecheck', 'lint', 'test', '--outputStyle=stream', ...process.argv.slice(2)],
  {
    cwd: workspace,
    stdio: 'inherit',
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', NX_SKIP_NX_CACHE: process.env.CI ? 'true' : (process.env.NX_SKIP_NX_CACHE ?? '') },
  },
);

let passed = 0;
let failed = 0;
let skipped = 0;
const rows: string[] = [];
for (const file of existsSync(resultsDir) ? readdirSync(resultsDir).sort() : []) {
  let r: { passed: number; failed: number; skipped: number };
  try {
    r = JSON.parse(readFileSync(join(resultsDir, file), 'utf8')) as typeof r;
  } catch {
    r = { passed: 0, failed: 1, skipped: 0 }; // a run that died before its reporter finished
  }
  passed += r.passed;
  failed += r.failed;
  skipped += r.skipped;
  rows.push(`  ${file.replace(/\.json$/, '').padEnd(40)} ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`);
}
if (nx.status !== 0 && failed === 0) {
  rows.push(`  nx exited with status ${nx.status ?? nx.signal} without a recorded failure`);
  failed = 1;
}
console.log('\nSummary (typecheck and lint count one each per project):');
console.log(rows.join('\n'));
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
