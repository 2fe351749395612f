// Composition root of the proxy: identity, telemetry, listeners and the admin server, wired from
// a validated config; and the drain that SIGTERM starts.
import proxyPackage from '../package.json' with { type: 'json' };
import type { ProxyConfig } from '@outrigger/config';
import { createAccessLog, createMetrics, createProcessRegistry, startSeriesExpiry, type Metrics } from '@outrigger/telemetry';
import type { Logger } from 'pino';
import { startAdminServer, type RunningAdmin } from './admin/admin-server.ts';
import { describeIdentity, redact } from './admin/introspect.ts';
import { parseProbeTable } from './admin/app-health.ts';
import { createRecordFeed } from './record-feed.ts';
import type { LoadedIdentity } from './identity.ts';
import { startFilesIdentity, type IdentitySource } from './identity-source.ts';
import { createMeshDialer } from './mesh-dialer.ts';
import { startListener, type RunningListener } from './listener.ts';
import { localAddressCheck, planListeners } from './plans.ts';
import { applyReload, planReload, type ReloadPlan } from './plan-reload.ts';
import { createKernelResolver } from '@outrigger/original-dst';
import { createObserver } from './observe.ts';
import { applyTlsGroups } from './tls-groups.ts';

const PROXY_VERSION = proxyPackage.version;

export interface RunningProxy {
  listeners: RunningListener[];
  admin: RunningAdmin;
  identity: () => LoadedIdentity | null;
  metrics: Metrics;
  /** The config in force (the start config with the live keys of the last reload). */
  config(): ProxyConfig;
  /** Apply a new config: live keys now, the others reported as needing a restart. */
  reload(next: ProxyConfig): Promise<ReloadPlan>;
  /** Fail readiness, stop accepting, wait for open connections up to the deadline, then close. */
  drain(deadlineMs: number): Promise<{ remaining: number }>;
}

export class ListenError extends Error {
  constructor(what: string, address: string, port: number, cause: NodeJS.ErrnoException) {
    super(`${what}: cannot listen on ${address}:${port} (${cause.code ?? cause.message})`, { cause });
    this.name = 'ListenError';
  }
}

export interface ProxyHooks {
  /** `POST /shutdown` on the admin port (loopback only): for Jobs on clusters without native sidecars. */
  onShutdownRequest?: () => void;
}

export async function startProxy(config: ProxyConfig, logger: Logger, hooks: ProxyHooks = {}): Promise<RunningProxy> {
  const now = () => performance.now();
  applyTlsGroups(config);
  const expiry = startSeriesExpiry({ idleMs: config.metrics.idleSeriesExpiry });
  const metrics = createMetrics({ version: PROXY_VERSION, expiry });
  const processRegistry = createProcessRegistry();
  const openAccessLog = (settings: ProxyConfig['accessLog']) => createAccessLog({ ...settings, onError: (err) => logger.warn({ err: err.message }, 'access log') });
  let accessLog = openAccessLog(config.accessLog);
  await accessLog.ready;
  const onIdentityError = (err: Error) => logger.warn({ err: err.message }, 'identity renewal or reload failed; keeping the identity in use');
  const source = await startIdentitySource(config, onIdentityError);
  const setExpiry = (i: LoadedIdentity) => metrics.certExpiration.set(Math.floor(i.certificate.notAfter.getTime() / 1000));
  if (source) setExpiry(source.current());
  let live = config; // the config in force: reload() swaps in the keys that apply live
  const dialer = source ? createMeshDialer(() => live.mesh, () => source.current(), localAddressCheck()) : null;
  const feed = createRecordFeed();
  const observer = createObserver({ metrics, accessLog: () => accessLog, expiry, now, wallNow: Date.now, feed });
  let draining = false;

  const plans = planListeners(() => live, { tlsOptions: source?.current().contextOptions ?? null, resolver: createKernelResolver, dialer });
  const listeners: RunningListener[] = [];
  for (const plan of plans) {
    try {
      listeners.push(await startListener(plan, () => live, observer, now));
    } catch (err) {
      for (const started of listeners) await started.stopAccepting();
      throw new ListenError(`listener ${plan.name}`, plan.address, plan.port, err as NodeJS.ErrnoException);
    }
  }
  source?.onChange((next) => {
    for (const listener of listeners) listener.setIdentity(next.contextOptions);
    setExpiry(next);
    logger.info({ serial: next.certificate.serialNumber, not_after: next.certificate.notAfter.toISOString(), identity: next.certificate.spiffeId }, 'identity rotated');
  });
  const probes = parseProbeTable(process.env.OUTRIGGER_APP_PROBES);
  if (probes.problem) logger.warn({ problem: probes.problem }, 'no app probes served');
  let admin: RunningAdmin;
  try {
    admin = await startAdminServer({
      address: config.admin.address,
      port: config.admin.port,
      metrics,
      registries: [metrics.registry, processRegistry],
      app: () => live.metrics.app,
      feed,
      isReady: () => !draining,
      config: () => redact(live),
      certs: () => describeIdentity(source?.current() ?? null),
      identity: () => source?.current().certificate.spiffeId ?? null,
      setLogLevel: (level) => {
        const previous = logger.level;
        // At info, on the side of the change that shows it (a change to warn is logged before it).
        // `from`/`to`, not `level`: the line's own `level` key must stay its level.
        const note = () => logger.info({ from: previous, to: level }, 'log level changed');
        const shown = logger.isLevelEnabled('info');
        if (shown) note();
        logger.level = level;
        if (!shown) note();
        return previous;
      },
      shutdown: () => hooks.onShutdownRequest?.(),
      probes: probes.table,
      // Probes go where inbound traffic for the app goes: localhost, or the pod IP in pod-ip mode.
      probeHost: (port) => {
        const inbound = live.transparent?.inbound;
        const mode = inbound?.ports[String(port)]?.upstream ?? inbound?.upstream;
        return (mode === 'pod-ip' && inbound?.podIp) || '127.0.0.1';
      },
    });
  } catch (err) {
    for (const started of listeners) await started.stopAccepting();
    throw new ListenError('admin server', config.admin.address, config.admin.port, err as NodeJS.ErrnoException);
  }

  return {
    listeners,
    admin,
    identity: () => source?.current() ?? null,
    metrics,
    config: () => live,
    async reload(next) {
      const plan = planReload(live, next);
      const previous = live;
      live = applyReload(live, next);
      if (plan.live.includes('log.level')) logger.level = live.log.level;
      if (plan.live.includes('accessLog')) {
        const replacement = openAccessLog(live.accessLog);
        try {
          await replacement.ready;
        } catch (err) {
          live = { ...live, accessLog: previous.accessLog };
          metrics.configReloads.inc({ component: 'proxy', result: 'failure' });
          throw err;
        }
        const old = accessLog;
        accessLog = replacement;
        void old.flush().finally(() => old.close());
      }
      metrics.configReloads.inc({ component: 'proxy', result: plan.restartRequired.length ? 'restart_required' : 'success' });
      return plan;
    },
    async drain(deadlineMs) {
      draining = true;
      const deadline = Date.now() + deadlineMs;
      // Inbound stops taking connections and winds HTTP keep-alive down; outbound keeps serving the
      // app (its calls may be what finishes its own in-flight work) until everything is idle.
      await Promise.all(listeners.filter((l) => l.direction === 'inbound').map((l) => l.drain().catch(() => undefined)));
      const open = () => listeners.reduce((sum, l) => sum + l.connections(), 0);
      while (open() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await Promise.all(listeners.filter((l) => l.direction === 'outbound').map((l) => l.stopAccepting().catch(() => undefined)));
      const remaining = open();
      if (remaining > 0) logger.warn({ remaining }, 'drain deadline reached; closing the connections still open');
      for (const l of listeners) l.destroyAll();
      source?.close();
      expiry.stop();
      await accessLog.close(); // the one in use at the end, after any reload
      await admin.close();
      return { remaining };
    },
  };
}

async function startIdentitySource(config: ProxyConfig, onError: (err: Error) => void): Promise<IdentitySource | null> {
  const identity = config.identity;
  if (!identity) return null;
  if (identity.source === 'files') return startFilesIdentity(identity, { pollMs: config.timeouts.identityPoll, debounceMs: 100, onError });
  // Loaded only for this source: it makes keys and CSRs with node-forge, which costs a sidecar
  // that never uses it ~1.3 MiB of memory (78.8 against 80.1 MiB idle, the bundle).
  const { startCaIdentity } = await import('./ca-identity-source.ts');
  return startCaIdentity({
    caAddress: identity.caAddress,
    tokenFile: identity.tokenFile,
    caBundleFile: identity.caBundleFile,
    identity: { trustDomain: config.mesh.trustDomain, namespace: identity.namespace ?? '', serviceAccount: identity.serviceAccount ?? '' },
    onError,
  });
}
