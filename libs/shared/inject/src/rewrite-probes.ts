// The app's HTTP and TCP probes, sent to the proxy's admin port instead: the kubelet has no mesh
// certificate, so in strict mode a probe to the app's port would be refused, and a TCP probe would
// only ever test the proxy's listener. The proxy finds the original probe in OUTRIGGER_APP_PROBES
// under the path the kubelet calls and runs it against the app on localhost (DESIGN section 4).
import type { Container, Probe } from './k8s.ts';

export const PROBE_KINDS = [
  { field: 'livenessProbe', name: 'liveness' },
  { field: 'readinessProbe', name: 'readiness' },
  { field: 'startupProbe', name: 'startup' },
] as const;

/** What the proxy runs for `GET /app-health/<container>/<probe>`: one of the two, with a port number. */
export type AppProbe =
  | { httpGet: { path: string; port: number; scheme: 'HTTP' | 'HTTPS'; httpHeaders?: Array<{ name: string; value: string }> }; timeoutSeconds: number }
  | { tcpSocket: { port: number }; timeoutSeconds: number };

export interface ProbeRewrite {
  containers: Container[];
  /** Keyed by the path the kubelet now calls. */
  appProbes: Record<string, AppProbe>;
  warnings: string[];
}

export function rewriteProbes(containers: readonly Container[], adminPort: number): ProbeRewrite {
  const appProbes: Record<string, AppProbe> = {};
  const warnings: string[] = [];
  const out = containers.map((container) => {
    const next: Container = { ...container };
    for (const { field, name } of PROBE_KINDS) {
      const probe = container[field];
      if (probe === undefined) continue;
      const original = planAppProbe(container, probe);
      if (original.kind === 'keep') {
        if (original.warning !== undefined) warnings.push(`container ${container.name} ${name} probe: ${original.warning}`);
        continue;
      }
      const path = `/app-health/${container.name}/${name}`;
      appProbes[path] = original.probe;
      // Timing fields stay as the user set them; only where the kubelet sends the probe changes.
      const { httpGet: _h, tcpSocket: _t, ...timing } = probe;
      next[field] = { ...timing, httpGet: { path, port: adminPort, scheme: 'HTTP' } };
    }
    return next;
  });
  return { containers: out, appProbes, warnings };
}

type Planned = { kind: 'rewrite'; probe: AppProbe } | { kind: 'keep'; warning?: string };

function planAppProbe(container: Container, probe: Probe): Planned {
  // The kubelet's default; the proxy must give up in time for its answer to count.
  const timeoutSeconds = probe.timeoutSeconds ?? 1;
  const action = probe.httpGet ?? probe.tcpSocket;
  // exec and gRPC probes are left alone: exec runs inside the container, and gRPC health checks
  // would need the proxy to speak gRPC to the app.
  if (action === undefined) return { kind: 'keep' };
  // A probe aimed at another host never enters this pod's network namespace.
  if (action.host !== undefined && action.host !== '') return { kind: 'keep' };
  const port = resolvePort(container, action.port);
  if (port === undefined) return { kind: 'keep', warning: `port ${JSON.stringify(action.port)} is not a port of the container, left as it is` };
  if (probe.httpGet === undefined) return { kind: 'rewrite', probe: { tcpSocket: { port }, timeoutSeconds } };
  const { path = '/', scheme = 'HTTP', httpHeaders } = probe.httpGet;
  const httpGet = { path, port, scheme: scheme === 'HTTPS' ? 'HTTPS' as const : 'HTTP' as const, ...(httpHeaders?.length ? { httpHeaders } : {}) };
  return { kind: 'rewrite', probe: { httpGet, timeoutSeconds } };
}

function resolvePort(container: Container, port: number | string): number | undefined {
  if (typeof port === 'number') return port >= 1 && port <= 65535 ? port : undefined;
  if (/^\d+$/.test(port)) return resolvePort(container, Number(port));
  return container.ports?.find((p) => p.name === port)?.containerPort;
}
