// A fixed-rate (open-loop) HTTP client, run in its own process on the load generator's CPU:
// request i is due at start + i/rate whatever happened to the ones before, and its latency is
// counted from that due time, so a stall shows in the tail instead of slowing the sender
// (coordinated omission). Prints one JSON object: percentiles in microseconds.
// Used instead of hey, whose summary stops at p99, whose CSV has 0.1 ms resolution and whose
// per-worker rate limit waits for each answer before sending the next.
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    rate: { type: 'string', default: '1000' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    timeout: { type: 'string', default: '5' },
    // Seconds at the same rate before the measured window, on the same pool: with 0 the run starts
    // with no connection open, and the first requests each open one (the cold-pool tail).
    warmup: { type: 'string', default: '0' },
  },
});
if (!values.url) throw new Error('usage: rate-client.ts --url URL [--rate 1000] [--duration 10] [--connections 64]');
const url = new URL(values.url);
const rate = Number(values.rate);
const durationS = Number(values.duration);
const timeoutMs = Number(values.timeout) * 1000;
const warmupS = Number(values.warmup);
const warmupCount = Math.round(rate * warmupS);
const total = warmupCount + Math.round(rate * durationS);
const agent = new Agent({ keepAlive: true, maxSockets: Number(values.connections), scheduling: 'lifo' });

const latenciesUs: number[] = [];
let errors = 0;
let non2xx = 0;
let maxLagUs = 0;
let inFlight = 0;
let sent = 0;
let newConnections = 0;
/** Requests slower than SLOW_US: when they were due (ms into the run), how long they took, on a new connection or not. */
const SLOW_US = 10_000;
const slow: Array<{ atMs: number; ms: number; newConnection: boolean }> = [];
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

function fire(dueUs: number, measured: boolean): void {
  inFlight++;
  let fresh = false;
  const finish = (ok: boolean) => {
    inFlight--;
    if (!measured) return;
    const us = nowUs() - dueUs;
    if (ok) latenciesUs.push(us);
    else errors++;
    if (ok && us > SLOW_US && slow.length < 200) slow.push({ atMs: Math.round((dueUs - startUs) / 1000 - warmupS * 1000), ms: Math.round(us / 100) / 10, newConnection: fresh });
  };
  const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, agent, timeout: timeoutMs }, (res) => {
    if (res.statusCode === undefined || res.statusCode >= 300) non2xx++;
    res.on('data', () => {});
    res.once('end', () => finish(true));
    res.once('error', () => finish(false));
  });
  req.once('socket', () => {
    fresh = !req.reusedSocket;
    if (fresh && measured) newConnections++;
  });
  req.once('timeout', () => req.destroy(new Error('timeout')));
  req.once('error', () => finish(false));
  req.end();
}

const startUs = nowUs();
const intervalUs = 1_000_000 / rate;
// setImmediate keeps the sender within microseconds of each due time (timers round to 1 ms); the
// spinning costs the load generator's CPU, never the proxies' (they are pinned to another one).
function tick(): void {
  const now = nowUs();
  while (sent < total && startUs + sent * intervalUs <= now) {
    const due = startUs + sent * intervalUs;
    maxLagUs = Math.max(maxLagUs, now - due);
    fire(due, sent >= warmupCount);
    sent++;
  }
  if (sent < total) setImmediate(tick);
  else drain();
}

function drain(): void {
  const deadline = Date.now() + timeoutMs + 1000;
  const wait = () => (inFlight > 0 && Date.now() < deadline ? setTimeout(wait, 10) : report());
  wait();
}

function report(): void {
  const sorted = Float64Array.from(latenciesUs).sort();
  const pct = (p: number) => (sorted.length ? (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0) : 0);
  const elapsedS = (nowUs() - startUs) / 1e6;
  process.stdout.write(
    `${JSON.stringify({
      sent: sent - warmupCount,
      ok: latenciesUs.length,
      errors: errors + inFlight,
      non2xx,
      achievedRate: Math.round(latenciesUs.length / durationS),
      elapsedS: Math.round((elapsedS - warmupS) * 100) / 100,
      p50: pct(50),
      p90: pct(90),
      p99: pct(99),
      p999: pct(99.9),
      max: sorted.length ? (sorted[sorted.length - 1] ?? 0) : 0,
      maxSendLagUs: Math.round(maxLagUs),
      newConnections,
      slow: process.env.RATE_CLIENT_SLOW ? slow : undefined,
    })}\n`,
  );
  agent.destroy();
  process.exit(0);
}

setImmediate(tick);
