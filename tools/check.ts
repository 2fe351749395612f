// Runs one check (typecheck, lint or test) of one Nx project and records its counts in
// dist/results/<project>.<check>.json, which tools/run-tests.ts adds up into the closing line.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const [check, project, projectRoot] = process.argv.slice(2);
if (!check || !project || !projectRoot) {
  console.error('usage: node tools/check.ts typecheck|lint|test <project> <projectRoot>');
  process.exit(2);
}
const workspace = resolve(import.meta.dirname, '..');
const resultsDir = join(workspace, 'dist', 'results');
const resultFile = join(resultsDir, `${project}.${check}.json`);
mkdirSync(resultsDir, { recursive: true });
const bin = (name: string) => join(workspace, 'node_modules', '.bin', name);

function record(counts: { passed: number; failed: number; skipped: number }): void {
  writeFileSync(resultFile, JSON.stringify({ project, check, ...counts }) + '\n');
}

function specFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'testdata' || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...specFiles(path));
    else if (entry.endsWith('.spec.ts')) out.push(path);
  }
  return out.sort();
}

function run(cmd: string, args: string[]): number {
  const r = spawnSync(cmd, args, { cwd: workspace, stdio: 'inherit' });
  if (r.error) {
    console.error(`${project}:${check}: cannot run ${cmd}: ${r.error.message}`);
    return 1;
  }
  return r.status ?? 1;
}

const root = join(workspace, projectRoot);
let status: number;
switch (check) {
  case 'typecheck':
    status = run(bin('tsc'), ['-p', join(root, 'tsconfig.json')]);
    record({ passed: status === 0 ? 1 : 0, failed: status === 0 ? 0 : 1, skipped: 0 });
    break;
  case 'lint':
    status = run(bin('eslint'), ['--max-warnings=0', relative(workspace, root) || '.']);
    record({ passed: status === 0 ? 1 : 0, failed: status === 0 ? 0 : 1, skipped: 0 });
    break;
  case 'test': {
    const files = specFiles(root);
    if (files.length === 0) {
      record({ passed: 0, failed: 0, skipped: 0 });
      status = 0;
      break;
    }
    record({ passed: 0, failed: 1, skipped: 0 }); // overwritten by the reporter when the run finishes
    status = run(process.execPath, [
      '--test',
      '--test-timeout=300000',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      `--test-reporter=${join(workspace, 'tools', 'count-reporter.ts')}`,
      `--test-reporter-destination=${resultFile}`,
      ...files.map((f) => relative(workspace, f)),
    ]);
    let counts = { passed: 0, failed: 1, skipped: 0 };
    try {
      counts = JSON.parse(readFileSync(resultFile, 'utf8')) as typeof counts;
    } catch {
      status ||= 1; // the reporter did not finish: count the run as failed
    }
    if (status !== 0 && counts.failed === 0) record({ ...counts, failed: 1 }); // the runner itself failed
    break;
  }
  default:
    console.error(`unknown check ${check}`);
    status = 2;
}
process.exit(status);
