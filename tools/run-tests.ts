// `npm test`: every project's typecheck, lint and test targets through Nx, then one closing line
// `N passed, N failed, N skipped` added up from dist/results (see tools/check.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Failure } from './count-reporter.ts';

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
const failures: string[] = [];
for (const file of existsSync(resultsDir) ? readdirSync(resultsDir).sort() : []) {
  let r: { passed: number; failed: number; skipped: number; failures?: Failure[] };
  try {
    r = JSON.parse(readFileSync(join(resultsDir, file), 'utf8')) as typeof r;
  } catch {
    r = { passed: 0, failed: 1, skipped: 0 }; // a run that died before its reporter finished
  }
  passed += r.passed;
  failed += r.failed;
  skipped += r.skipped;
  for (const f of r.failures ?? []) {
    const where = f.file ? ` (${relative(workspace, f.file)}${f.line ? `:${f.line}` : ''})` : '';
    failures.push(`✖ ${file.replace(/\.json$/, '')}: ${f.name}${where}\n${f.error.replace(/^/gm, '    ')}`);
  }
  rows.push(`  ${file.replace(/\.json$/, '').padEnd(40)} ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`);
}
if (nx.status !== 0 && failed === 0) {
  rows.push(`  nx exited with status ${nx.status ?? nx.signal} without a recorded failure`);
  failed = 1;
}
// Repeated here because a long run's output is often seen only from its end (CI keeps a tail).
if (failures.length > 0) console.log(`\nFailed tests:\n${failures.join('\n')}`);
console.log('\nSummary (typecheck and lint count one each per project):');
console.log(rows.join('\n'));
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
