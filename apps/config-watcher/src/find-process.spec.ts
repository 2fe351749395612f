import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { start, withTempDir } from '@outrigger/testing';
import { findSignalTargets, parseStatPpid, planSignalTargets, sendSignal, type ProcessInfo } from './find-process.ts';
import { WatcherError } from './watcher-errors.ts';

const proc = (pid: number, ppid: number, comm: string, ...argv: string[]): ProcessInfo => ({ pid, ppid, comm, argv });
const TABLE: ProcessInfo[] = [
  proc(1, 0, 'pause', '/pause'),
  proc(7, 1, 'node', 'node', '/app/legacy-app.ts'),
  proc(8, 7, 'node', 'node', '/app/legacy-app.ts'), // a worker it forked
  proc(20, 1, 'nginx', 'nginx: master process nginx -g daemon off;'),
  proc(21, 20, 'nginx', 'nginx: worker process'),
  proc(30, 1, 'java', '/usr/bin/java', '-jar', 'app.jar'),
  proc(40, 1, 'node', 'node', '/watcher/main.ts', '--process-name', 'legacy-app.ts'),
];
const cases: Array<[string, number[]]> = [
  ['legacy-app.ts', [7]], // by argv[1]: a script run by an interpreter; the forked worker is not signalled
  ['nginx', [20]], // by comm: the master only, never the workers
  ['java', [30]], // by argv[0]'s base name
  ['app.jar', []], // argv[2] is an argument, not the program
  ['pause', [1]],
  ['python3', []],
];
for (const [name, pids] of cases) {
  test(`planSignalTargets("${name}") = [${pids}]`, () => assert.deepEqual(planSignalTargets(TABLE, name, 40), pids));
}

test('the watcher never picks itself', () => assert.deepEqual(planSignalTargets(TABLE, 'main.ts', 40), []));

test('parseStatPpid copes with a comm holding spaces and parentheses', () => {
  assert.equal(parseStatPpid('4242 (my (odd) name) S 77 4242 4242 0 -1'), 77);
  assert.equal(parseStatPpid('1 (init) S 0 1 1'), 0);
});

test('by name in a /proc tree; a name not found says the process is not visible and why', () =>
  withTempDir(async (root) => {
    for (const p of TABLE) {
      mkdirSync(join(root, String(p.pid)));
      writeFileSync(join(root, String(p.pid), 'comm'), `${p.comm}\n`);
      writeFileSync(join(root, String(p.pid), 'cmdline'), `${p.argv.join('\0')}\0`);
      writeFileSync(join(root, String(p.pid), 'stat'), `${p.pid} (${p.comm}) S ${p.ppid} 1 1 0`);
    }
    mkdirSync(join(root, 'self'));
    assert.deepEqual(await findSignalTargets({ kind: 'process-name', name: 'nginx' }, root), [20]);
    await assert.rejects(findSignalTargets({ kind: 'process-name', name: 'my-app' }, root), (err: WatcherError) =>
      err.kind === 'process_not_visible' && err.message === `no process named "my-app" is visible in ${root} (7 processes visible); the app and the watcher must share a process namespace: set shareProcessNamespace: true in the pod spec`);
  }));

test('by pid file: missing, garbage, or a PID that is not there are each named', () =>
  withTempDir(async (dir) => {
    const pidFile = join(dir, 'app.pid');
    const failure = (p: Promise<unknown>) => p.then(() => 'sent', (e: WatcherError) => `${e.kind}: ${e.message}`);
    assert.match(await failure(sendSignal({ kind: 'pid-file', path: pidFile }, 'SIGHUP')), /^process_not_visible: pid file .*app\.pid does not exist \(the app has not written it yet/);
    writeFileSync(pidFile, 'not a pid\n');
    assert.match(await failure(sendSignal({ kind: 'pid-file', path: pidFile }, 'SIGHUP')), /^process_not_visible: pid file .* does not hold a process id/);
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((r) => gone.once('exit', r));
    writeFileSync(pidFile, `${gone.pid}\n`);
    assert.match(await failure(sendSignal({ kind: 'pid-file', path: pidFile }, 'SIGHUP')),
      new RegExp(`^process_not_visible: process ${gone.pid} \\(from .*app\\.pid\\) is not visible: it has exited, or it runs in another PID namespace; .*shareProcessNamespace: true`));
  }));

test('by pid file: the process gets the signal', () =>
  withTempDir(async (dir) => {
    const child = start(process.execPath, ['-e', "process.on('SIGHUP', () => { console.log('got SIGHUP'); process.exit(0) }); console.log('waiting'); setInterval(() => {}, 1000)"]);
    try {
      await child.waitForLine(/waiting/);
      writeFileSync(join(dir, 'app.pid'), String(child.child.pid));
      assert.equal(await sendSignal({ kind: 'pid-file', path: join(dir, 'app.pid') }, 'SIGHUP'), `SIGHUP sent to process ${child.child.pid}`);
      await child.waitForLine(/got SIGHUP/);
    } finally {
      await child.stop();
    }
  }));
