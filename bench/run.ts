// The sidecar benchmark, one command (bench/README.md): installs its peers if missing, makes a
// mesh CA and two workload certificates, starts the app, then measures every topology in
// interleaved repetitions on 127.0.0.1 (proxies and app on one CPU, load generators on the
// other), profiles the HTTP pair once, and writes the tables into bench/RESULTS.md.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FRESH_RATE_S, runCell, runProfile, type CellContext, type Plan } from './cell.ts';
import { runAccessLogAb, type AbResult } from './access-log-ab.ts';
import { ensurePeers, nginxCan } from './peers.ts';
import { createProcs, machineBusyPct, sleep, waitFor } from './procs.ts';
import { renderReport, type CellResult } from './report.ts';
import { TOPOLOGIES, type BenchEnv, type Topology } from './topologies.ts';
import { describeWorkingTree, snapshotAt } from './snapshot.ts';

const HERE = import.meta.dirname;
const REPO = resolve(HERE, '..');
const BEGIN = '<!-- bench/run.ts: generated section, rewritten by each run -->';
const END = '<!-- bench/run.ts: end of generated section -->';

const USAGE = `usage: node bench/run.ts [options]        (sudo only to apt-get missing peers)

  --reps N            repetitions of each topology, interleaved (default 3)
  --only a,b          topologies to run: ${TOPOLOGIES.map((t) => t.id).join(', ')}
  --quick             a short smoke run: 1 rep, 3 s loads, 256 MiB bulk, no hey, no profile
  --duration S        wrk keep-alive load (default 6), --close-duration S (default 3)
  --rate N            fixed request rate for latency (default 1000), --rate-duration S (default 5)
  --light-rate N      a second, light rate for the latency of the hops alone (default 200, 3 s)
  --bulk-mib N        bulk transfer size (default 1024), cut at 5 s
  --ref REF           measure the proxy as committed at REF (git archive), not the working tree
  --max-foreign P     redo a cell (once) when other processes took more than P % of the
                      proxy CPU or of the load CPU during it (default 10); 0 turns this off
  --no-install        never apt-get; fail if a peer is missing
  --no-hey            skip the hey cross-check (first repetition only otherwise)
  --no-profile        skip the node --cpu-prof run
  --profile-topology T  which pair the profile runs: or-http (default) or or-tcp
  --profile-new-conn  profile under a new connection per request (wrk -H 'Connection: close')
  --no-ab             skip the access-log A/B (log on and off side by side, alternating runs)
  --from-source       run the sidecars from the TypeScript sources (type stripping) instead of
                      the bundle that tools/build.ts makes and the image runs
  --proxy-node-flags=F node flags for every Outrigger sidecar, space-separated (V8 heap settings);
                      write it with '=' since the value starts with a dash
  --vs-ref REF        also an A/B of the inbound sidecar and the HTTP pair against the proxy as
                      committed at REF (both bundles, side by side, alternating rounds): what a
                      change bought, without the drift between two runs
  --vs-flags=F        also an A/B of the inbound sidecar and the HTTP pair against the same
                      sidecars started with extra node flags F (space-separated; write it with '=')
  --ab-new-conn       the A/B rounds (all of them) open a new connection per request
                      (wrk -H 'Connection: close'), to compare what a connection costs
  --form-ab           also an A/B of the inbound sidecar run from its bundle and from its sources
  --ab-rounds N       alternating rounds of the A/B (default 12; a multiple of 4 balances it)
  --ab-seconds S      length of each A/B round (default 3)
  --ab-self-check     also run an A/A (log on in both): the A/B's noise floor at the time
  --reps 0            with the A/B on: only the A/B (and the profile unless --no-profile)
  --out FILE          results file (default bench/RESULTS.md); raw data beside it as run-raw.json
`;

const { values: o } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    only: { type: 'string' },
    ref: { type: 'string' },
    'vs-ref': { type: 'string' },
    'ab-new-conn': { type: 'boolean', default: false },
    'vs-flags': { type: 'string' },
    quick: { type: 'boolean', default: false },
    duration: { type: 'string', default: '6' },
    'close-duration': { type: 'string', default: '3' },
    rate: { type: 'string', default: '1000' },
    'rate-duration': { type: 'string', default: '5' },
    'light-rate': { type: 'string', default: '200' },
    'bulk-mib': { type: 'string', default: '1024' },
    'no-install': { type: 'boolean', default: false },
    'max-foreign': { type: 'string', default: '10' },
    'no-hey': { type: 'boolean', default: false },
    'no-profile': { type: 'boolean', default: false },
    'profile-topology': { type: 'string', default: 'or-http' },
    'profile-new-conn': { type: 'boolean', default: false },
    'no-ab': { type: 'boolean', default: false },
    'from-source': { type: 'boolean', default: false },
    'form-ab': { type: 'boolean', default: false },
    'proxy-node-flags': { type: 'string', default: '' },
    'ab-rounds': { type: 'string', default: '12' },
    'ab-seconds': { type: 'string', default: '3' },
    'ab-self-check': { type: 'boolean', default: false },
    out: { type: 'string', default: join(HERE, 'RESULTS.md') },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (o.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const PROXY_CPU = 0;
const LOAD_CPU = 1;
const log = (s: string) => process.stderr.write(`${s}\n`);
const quick = o.quick;
const plan: Plan = {
  loadCpu: LOAD_CPU,
  connections: 50,
  warmupS: quick ? 1 : 2,
  nodeWarmupS: quick ? 2 : 10,
  warmupChunkS: quick ? 1 : 2,
  durationS: quick ? 3 : Number(o.duration),
  closeDurationS: quick ? 2 : Number(o['close-duration']),
  rate: Number(o.rate),
  rateDurationS: quick ? 3 : Number(o['rate-duration']),
  lightRate: Number(o['light-rate']),
  lightDurationS: quick ? 2 : 3,
  heyDurationS: 5,
  bulkBytes: (quick ? 256 : Number(o['bulk-mib'])) * 1024 * 1024,
  bulkMaxS: quick ? 3 : 5,
  rateClient: join(HERE, 'rate-client.ts'),
};
const reps = quick ? 1 : Number(o.reps);
const withHey = !quick && !o['no-hey'];
const withProfile = !quick && !o['no-profile'];
const withAb = !quick && !o['no-ab'];
const AB_ROUNDS = Number(o['ab-rounds']);
if (!Number.isInteger(AB_ROUNDS) || AB_ROUNDS < 1) throw new Error(`--ab-rounds must be a whole number of at least 1, not ${o['ab-rounds']}`);
const AB_SECONDS = Number(o['ab-seconds']); // wrk takes whole seconds
const AB_NEW_CONN = o['ab-new-conn'] === true;
const AB_MODE = AB_NEW_CONN ? ', a new connection per request' : '';
if (!Number.isInteger(AB_SECONDS) || AB_SECONDS < 1) throw new Error(`--ab-seconds must be a whole number of at least 1, not ${o['ab-seconds']}`);

const node = process.execPath;
if (Number(process.versions.node.split('.')[0]) < 24) throw new Error(`Node 24 or newer is needed (this is ${process.version}); run node_modules/.bin/node bench/run.ts`);
const CPUS = availableParallelism(); // read before the harness pins itself to one CPU
if (CPUS < 2) throw new Error('two CPUs are needed: CPU 0 for the proxies and the app, CPU 1 for the load generators');

const procs = createProcs();
const runDir = mkdtempSync(join(tmpdir(), 'outrigger-bench-'));
let stopping = false;
const cleanupNow = () => {
  procs.killAllNow();
  rmSync(runDir, { recursive: true, force: true });
};
process.once('exit', cleanupNow);
for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
  process.once(sig, () => {
    if (stopping) return;
    stopping = true;
    log(`\n${sig}: stopping every process this run started, removing ${runDir}`);
    void procs.stopAll(2000).finally(() => {
      cleanupNow();
      process.exit(code);
    });
  });
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const loadStart = loadavg().map((x) => x.toFixed(2)).join(', ');
  // The harness itself (all its threads) stays off the proxies' CPU.
  spawnSync('taskset', ['-a', '-p', '-c', String(LOAD_CPU), String(process.pid)], { stdio: 'ignore' });
  const peers = ensurePeers({ install: !o['no-install'], log });

  const source = o.ref ? snapshotAt(REPO, o.ref, join(runDir, 'src')) : describeWorkingTree(REPO);
  log(`measuring ${source.description}`);
  const injector = join(source.root, 'apps/injector/src/main.ts');
  const ca = join(runDir, 'ca');
  const mk = (args: string[]) => execFileSync(node, [injector, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  mk(['ca', 'init', '--dir', ca]);
  const issue = (sa: string) => {
    const out = join(runDir, sa);
    mk(['ca', 'issue', '--ca-dir', ca, '--out', out, '--namespace', 'bench', '--service-account', sa, '--dns', 'localhost', '--ip', '127.0.0.1']);
    return { cert: join(out, 'tls.crt'), key: join(out, 'tls.key'), ca: join(out, 'ca.crt') };
  };
  const certs = { a: issue('client'), b: issue('server') };

  const app = procs.startPinned('app', PROXY_CPU, node, [join(HERE, 'app.ts')], join(runDir, 'app.out'));
  const appPort = await waitFor('the app', () => /"port":(\d+)/.exec(readFileSync(app.logFile, 'utf8'))?.[1], 10_000, app).then(Number);
  const proxySourceMain = join(source.root, 'apps/proxy/src/main.ts');
  let proxyMain = proxySourceMain;
  let form = 'from its TypeScript sources (`--from-source`)';
  const builder = join(source.root, 'tools/build.ts');
  if (!o['from-source'] && existsSync(builder)) {
    // The snapshot's own build script for --ref; it writes every app's bundle and the addon.
    execFileSync(node, [builder, '--out', join(runDir, 'bundle')], { cwd: source.root, stdio: ['ignore', 'ignore', 'pipe'] });
    proxyMain = join(runDir, 'bundle', 'outrigger-proxy.mjs');
    form = 'from its bundle (`tools/build.ts`), as the image runs it; the profile runs the sources';
  }
  log(`sidecars run ${form}`);
  const proxyNodeFlags = o['proxy-node-flags'].split(' ').filter(Boolean);
  if (proxyNodeFlags.length) log(`sidecars get node flags ${proxyNodeFlags.join(' ')}`);
  const env: BenchEnv = { node, proxyMain, proxySourceMain, proxyNodeFlags, certs, appPort, procs, nginx: peers.nginx, proxyCpu: PROXY_CPU };
  const ctx: CellContext = { env, plan, appPid: app.pid, runDir, log };

  const only = o.only ? new Set(o.only.split(',')) : null;
  const skipped: string[] = [];
  const topologies = TOPOLOGIES.filter((t) => {
    if (t.abOnly || (only && !only.has(t.id))) return false;
    const layer = t.id === 'nginx-stream' ? 'stream' : 'http';
    if (t.needsNginx && !nginxCan(peers, layer)) {
      skipped.push(`${t.label}: nginx${layer === 'stream' ? ' stream module' : ''} not available`);
      return false;
    }
    return true;
  });
  log(`${topologies.length} topologies x ${reps} repetitions; app on 127.0.0.1:${appPort}; proxies and app on CPU ${PROXY_CPU}, load on CPU ${LOAD_CPU}`);

  const cells: CellResult[] = [];
  const redone: string[] = [];
  const maxForeign = Number(o['max-foreign']);
  // This machine may be shared (a test suite, a build): wait a bounded time for it to be quiet.
  const waitForQuiet = async () => {
    const deadline = Date.now() + 60_000;
    let busy = await machineBusyPct(500);
    if (busy > 10) log(`  waiting for the machine to be quiet (${busy.toFixed(0)} % busy)`);
    while (busy > 10 && Date.now() < deadline && !stopping) {
      await sleep(1500);
      busy = await machineBusyPct(500);
    }
  };
  for (let rep = 0; rep < reps; rep++) {
    // Rotate the order each repetition so no topology always runs first or last.
    const order = topologies.map((_, i) => topologies[(i + rep) % topologies.length]!);
    log(`repetition ${rep + 1}/${reps}`);
    for (const t of order) {
      if (stopping) return;
      try {
        await waitForQuiet();
        let result = await runCell(ctx, t, rep, withHey && rep === 0);
        const foreign = Math.max(result.foreignPct, result.loadForeignPct);
        if (maxForeign > 0 && foreign > maxForeign) {
          log(`  ${t.id} rep ${rep + 1}: other processes took ${foreign.toFixed(0)} % of a CPU of the bench; measuring it again`);
          redone.push(`${t.id} rep ${rep + 1} (${foreign.toFixed(0)} % foreign)`);
          await waitForQuiet();
          result = await runCell(ctx, t, rep, withHey && rep === 0);
        }
        cells.push(result);
      } catch (err) {
        if (stopping) return;
        skipped.push(`${t.id} repetition ${rep + 1}: ${(err as Error).message.split('\n')[0]}`);
        log(`  ${t.id} rep ${rep + 1} FAILED: ${(err as Error).message}`);
      }
    }
  }

  const ab: AbResult[] = [];
  /** One A/B (both sides started, alternating rounds); a failure is reported as skipped, the run goes on. */
  const runAb = async (kind: AbResult['kind'], label: string, a: Topology, b: Topology, what: string) => {
    log(`${kind} A/B: ${label}, ${AB_ROUNDS} alternating rounds of ${AB_SECONDS} s`);
    try {
      await waitForQuiet();
      ab.push(await runAccessLogAb(ctx, label, a, b, AB_ROUNDS, AB_SECONDS, kind, AB_NEW_CONN));
    } catch (err) {
      skipped.push(`${kind} A/B (${what}): ${(err as Error).message.split('\n')[0]}`);
    }
  };
  const abPairs: Array<readonly [string, string, string]> = [
    ['one inbound sidecar', 'or-inbound', 'or-inbound-nolog'],
    ['the HTTP pair (both sidecars log)', 'or-http', 'or-http-nolog'],
  ];
  // A/A: two instances of the same logging path measured the same way. Whatever "cost" it
  // shows is the harness's noise floor on this machine at that time.
  if (o['ab-self-check']) {
    abPairs.push(['A/A self-check: one inbound sidecar, log on in both', 'or-inbound', 'or-inbound'], ['A/A self-check: the HTTP pair, log on in both', 'or-http', 'or-http']);
  }
  for (const [label, onId, offId] of withAb ? abPairs : []) {
    const on = TOPOLOGIES.find((t) => t.id === onId);
    const off = TOPOLOGIES.find((t) => t.id === offId);
    if (!on || !off || (only && !only.has(onId)) || stopping) continue;
    await runAb('access-log', label + AB_MODE, on, off, label);
  }
  // The inbound sidecar and the HTTP pair against a variant of themselves (B).
  const againstVariant = async (kind: AbResult['kind'], describe: (t: Topology) => string, variant: (t: Topology) => Topology) => {
    for (const id of ['or-inbound', 'or-http']) {
      const t = TOPOLOGIES.find((x) => x.id === id);
      if (!t || (only && !only.has(id)) || stopping) continue;
      await runAb(kind, `${describe(t)}${AB_MODE}`, t, variant(t), id);
    }
  };
  if (o['vs-ref'] && !stopping) {
    const other = snapshotAt(REPO, o['vs-ref'], join(runDir, 'src-vs'));
    const otherMain = join(runDir, 'bundle-vs', 'outrigger-proxy.mjs');
    execFileSync(node, [join(other.root, 'tools/build.ts'), '--out', join(runDir, 'bundle-vs')], { cwd: other.root, stdio: ['ignore', 'ignore', 'pipe'] });
    await againstVariant(
      'version',
      (t) => `${t.label}: ${source.commit}${o.ref ? '' : ' (working tree)'} (A) vs ${other.commit} (B)`,
      (t) => ({ ...t, id: `${t.id}-vs`, start: (e, cell) => t.start(e, { ...cell, proxyMain: otherMain }) }),
    );
  }
  const vsFlags = (o['vs-flags'] ?? '').split(' ').filter(Boolean);
  if (vsFlags.length) {
    await againstVariant(
      'flags',
      (t) => `${t.label}: as measured (A) vs with \`${vsFlags.join(' ')}\` (B)`,
      (t) => ({ ...t, id: `${t.id}-flags`, start: (e, cell) => t.start(e, { ...cell, nodeFlags: () => vsFlags }) }),
    );
  }
  const inbound = TOPOLOGIES.find((t) => t.id === 'or-inbound');
  if (o['form-ab'] && inbound && proxyMain !== proxySourceMain && !stopping) {
    const fromSource: typeof inbound = { ...inbound, id: 'or-inbound-src', start: (e, cell) => inbound.start(e, { ...cell, fromSource: true }) };
    await runAb('form', `one inbound sidecar: bundle (A) vs TypeScript sources (B)${AB_MODE}`, inbound, fromSource, 'bundle or sources');
  }

  let profile = null;
  const profiled = TOPOLOGIES.find((t) => t.id === o['profile-topology']);
  if (withProfile && !stopping) {
    log(`profile: each sidecar of ${o['profile-topology']} under node --cpu-prof`);
    try {
      if (!profiled || !['or-http', 'or-tcp'].includes(profiled.id)) throw new Error(`--profile-topology must be or-http or or-tcp, not ${o['profile-topology']}`);
      await waitForQuiet();
      profile = await runProfile(ctx, profiled, ['sidecar-a', 'sidecar-b'], o['profile-new-conn']);
    } catch (err) {
      skipped.push(`profile: ${(err as Error).message}`);
    }
  }
  await procs.stop(app);

  const debian = existsSync('/etc/debian_version') ? readFileSync('/etc/debian_version', 'utf8').trim() : 'not Debian';
  const sudo = process.getuid?.() === 0 && process.env.SUDO_USER ? 'sudo ' : '';
  const report = renderReport(
    {
      command: `${sudo}node bench/run.ts${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
      date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
      machine: [
        `Outrigger: ${source.description}; sidecars run ${form}${proxyNodeFlags.length ? `, with node flags \`${proxyNodeFlags.join(' ')}\`` : ''}.`,
        `Machine: ${CPUS} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Debian ${debian}, Linux ${release()}; Node ${process.version}; ${Object.entries(peers.versions).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
        `Pinning (taskset): the proxies and the app on CPU ${PROXY_CPU}; wrk, the latency client, hey, curl and the harness on CPU ${LOAD_CPU}. Everything on 127.0.0.1.`,
      ],
      settings: [
        `Max throughput: \`wrk -t1 -c${plan.connections} -d${plan.durationS}s\` after a warm-up at full load (${plan.nodeWarmupS} s for the Node proxies, ${plan.warmupS} s for nginx and direct), GET / answering 1 KiB; new connection per request: the same with \`-H 'Connection: close'\` for ${plan.closeDurationS} s.`,
        'Proxy CPU per request: utime+stime from /proc/<pid>/stat of every proxy process of the path (both sidecars), before and after the wrk run, divided by its requests; the stime part alone (the kernel's work in their syscalls, loopback delivery included) is its own column, and user = the rest.',
        `Latency: bench/rate-client.ts, an open-loop Node client at ${plan.rate} req/s for ${plan.rateDurationS} s and at ${plan.lightRate} req/s for ${plan.lightDurationS} s (latency counted from each request's due time, so queueing shows; keep-alive pool of up to 64 connections). hey (\`-c 10 -q ${plan.rate / 10} -z ${plan.heyDurationS}s\`) as a cross-check in the first repetition only: its summary stops at p99, its CSV has 0.1 ms resolution, and each worker waits for an answer before its next request, so it hides queueing.`,
        `Bulk: \`curl -o /dev/null\` of ${plan.bulkBytes / 2 ** 20} MiB from the app through the path, one connection, cut at ${plan.bulkMaxS} s (the speed of a cut transfer is still exact); MB = 10^6 bytes.`,
        `RSS: VmRSS from /proc/<pid>/status 0.5 s after start (idle); the peak, sampled every 250 ms, during ${FRESH_RATE_S} s at ${plan.rate} req/s right after that (before any wrk run: what the rate needs; its latencies are not reported), during the warm-pool latency run (after the wrk runs: the high-water mark) and during the keep-alive run (loaded).`,
      ],
      wallS: (Date.now() - t0) / 1000,
      rateDurationS: plan.rateDurationS,
      warmupChunkS: plan.warmupChunkS,
      loadAvg: { start: loadStart, end: loadavg().map((x) => x.toFixed(2)).join(', ') },
      skipped,
      redone,
      maxForeign,
    },
    { rate: plan.rate, light: plan.lightRate },
    topologies,
    cells,
    profile,
    ab,
  );
  writeResults(o.out, report);
  writeFileSync(join(resolve(o.out, '..'), 'run-raw.json'), `${JSON.stringify({ plan, cells, ab, profile }, null, 1)}\n`);
  log(`\n${report}\nwritten to ${o.out}`);
}

/** Rewrites the generated section between the markers; everything else in the file is kept. */
function writeResults(file: string, report: string): void {
  const block = `${BEGIN}\n\n${report}\n${END}`;
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start >= 0 && end > start) return writeFileSync(file, text.slice(0, start) + block + text.slice(end + END.length));
  writeFileSync(file, `${text.trimEnd()}\n\n## Sidecar data path (bench/run.ts)\n\n${block}\n`);
}

try {
  await main();
} finally {
  if (!stopping) {
    await procs.stopAll(2000);
    rmSync(runDir, { recursive: true, force: true });
  }
}
