// The sidecars a pod asks for by annotation: the log exporter (ships the proxy's access log) and
// the config watcher (syncs config into a volume the app reads, then tells the app), with the
// flags and files outrigger-log-exporter and outrigger-config-watcher read. Both run the
// same image as the proxy, under a uid the capture rules do not exempt, so their own connections go
// through the proxy like the app's.
import type { InjectConfig } from './inject-config.ts';
import type { Container, PodSpec, Volume, VolumeMount } from './k8s.ts';
import { stringify } from 'yaml';
import { CONTAINERS, PATHS, VOLUMES } from './names.ts';
import type { ConfigWatch, LogSink } from './pod-settings.ts';
import { pullPolicy, restrictedAs } from './render-proxy.ts';

export const HELPER_UID = 1338;
const HELPER_RESOURCES = { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } };

export interface LogExporterPlan {
  container: Container;
  volumes: Volume[];
  /** Its config file, which travels as an annotation like the proxy's (see render-proxy-config.ts). */
  config: string;
}

export function planLogExporter(config: InjectConfig, sink: LogSink): LogExporterPlan {
  // Everything else is the exporter's default: it tails /var/log/outrigger/access.log* and keeps
  // positions and dead letters under /var/lib/outrigger/log-exporter.
  const exporterConfig = { files: { paths: [`${PATHS.accessLog}*`] }, sink };
  return {
    container: {
      name: CONTAINERS.logExporter,
      image: config.image,
      ...pullPolicy(config),
      command: ['outrigger-log-exporter'],
      args: ['--config', PATHS.logExporterConfig],
      resources: HELPER_RESOURCES,
      securityContext: restrictedAs(HELPER_UID, HELPER_UID),
      volumeMounts: [
        { name: VOLUMES.config, mountPath: PATHS.configDir, readOnly: true },
        { name: VOLUMES.log, mountPath: PATHS.logDir, readOnly: true },
        // emptyDir: positions survive the exporter's restarts, which is what at-least-once needs here.
        { name: VOLUMES.logState, mountPath: PATHS.logState },
      ],
    },
    volumes: [{ name: VOLUMES.logState, emptyDir: {} }],
    config: stringify(exporterConfig),
  };
}

export interface ConfigWatcherPlan {
  container: Container;
  volumes: Volume[];
  /** The app containers, each mounting the synced copy at the path (in place of any mount there). */
  appContainers: Container[];
  shareProcessNamespace: boolean;
  warnings: string[];
}

export function planConfigWatcher(config: InjectConfig, watch: ConfigWatch, spec: PodSpec): ConfigWatcherPlan {
  const warnings: string[] = [];
  const signal = watch.notify?.startsWith('signal:') ?? false;
  // A signal reaches another process only from the same uid (or root): run as the app's user.
  const appUid = spec.containers[0]?.securityContext?.runAsUser ?? spec.securityContext?.runAsUser;
  const uid = signal && appUid !== undefined ? appUid : HELPER_UID;
  if (signal && appUid === undefined) warnings.push(`config watcher: notify=${watch.notify ?? ''} needs the app's uid, which the pod does not set (runAsUser); the watcher runs as ${HELPER_UID} and may not be allowed to signal the app`);
  const securityContext = { ...restrictedAs(uid, uid), runAsNonRoot: uid !== 0 };
  const mounts: VolumeMount[] = [{ name: VOLUMES.appConfig, mountPath: PATHS.appConfig }];
  const volumes: Volume[] = [{ name: VOLUMES.appConfig, emptyDir: {} }];
  let source: string;
  if (watch.source.kind === 'configmap') {
    source = `dir:${PATHS.configSource}`;
    mounts.push({ name: VOLUMES.configSource, mountPath: PATHS.configSource, readOnly: true });
    volumes.push({ name: VOLUMES.configSource, configMap: { name: watch.source.name } });
  } else {
    source = `url:${watch.source.url}`;
  }
  const container: Container = {
    name: CONTAINERS.configWatcher,
    image: config.image,
    ...pullPolicy(config),
    command: ['outrigger-config-watcher'],
    args: [
      '--source', source,
      '--dest', PATHS.appConfig,
      ...(watch.notify === undefined ? [] : ['--notify', watch.notify]),
      ...(watch.process === undefined ? [] : ['--process-name', watch.process]),
    ],
    resources: HELPER_RESOURCES,
    securityContext,
    volumeMounts: mounts,
  };
  const appContainers = spec.containers.map((c) => ({
    ...c,
    volumeMounts: [...(c.volumeMounts ?? []).filter((m) => m.mountPath !== watch.path), { name: VOLUMES.appConfig, mountPath: watch.path, readOnly: true }],
  }));
  return { container, volumes, appContainers, shareProcessNamespace: signal, warnings };
}
