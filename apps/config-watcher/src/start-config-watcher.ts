// The watcher's composition root, read as a wiring diagram: schemas -> the config already in the
// destination -> the reload stages -> the source watcher feeding them -> the admin server.
import {
  DEFAULT_MAX_SNAPSHOT_BYTES, loadDirectorySnapshot, loadUrl, parseUrlFileName, planSnapshot, watchDirectory, watchUrl,
  type ConfigSnapshot, type ConfigWatch,
} from '@outrigger/config';
import type { Registry } from 'prom-client';
import type { Logger } from '@outrigger/telemetry';
import { startAdminServer } from './admin-server.ts';
import { discardGeneration, listVisibleNames, planTopNames, publishGeneration, readPublished, stageGeneration } from './atomic-dest.ts';
import { loadSchemas } from './load-schemas.ts';
import { createWatcherMetrics } from './metrics.ts';
import { applyNotify } from './notify.ts';
import { createObserver, type Observer } from './observe.ts';
import type { WatcherSpec } from './parse-args.ts';
import { parseCandidate, type SchemaCheck } from './parse-candidate.ts';
import { createReloader, type ReloadOutcome, type ReloadStages } from './reload.ts';
import { renderCommandFailure, runCommand } from './run-command.ts';
import { WatcherError } from './watcher-errors.ts';

export interface RunningWatcher {
  adminPort: number;
  /** Reads the source now (SIGHUP to the watcher). */
  check(): Promise<void>;
  close(): Promise<void>;
}

function wireStages(spec: WatcherSpec, schemas: SchemaCheck[]): ReloadStages {
  const validateCmd = spec.validateCmd;
  return {
    check: (snapshot) => parseCandidate(snapshot, schemas),
    stage: (snapshot) => stageGeneration(spec.dest, snapshot),
    validate: validateCmd === undefined ? undefined : async (staged) => {
      // The command sees exactly the files that would be published, in their hidden folder.
      const env = { OUTRIGGER_CANDIDATE_DIR: staged.path };
      const result = await runCommand(validateCmd, staged.path, { timeoutMs: spec.validateTimeoutMs, env, cwd: staged.path }).catch((err: NodeJS.ErrnoException) => {
        throw new WatcherError('validate_cmd_failed', `--validate-cmd could not start (${err.code ?? err.message})`, { cause: err });
      });
      if (result.code !== 0) {
        const detail = `--validate-cmd rejected the config: ${renderCommandFailure(result, spec.validateTimeoutMs)}${result.output ? `: ${result.output}` : ''}`;
        throw new WatcherError('validate_cmd_failed', detail);
      }
    },
    publish: (staged, snapshot) => publishGeneration(spec.dest, staged, snapshot),
    discard: discardGeneration,
    notify: async (staged, snapshot) => {
      const lines: string[] = [];
      const ctx = { dest: spec.dest, generation: staged.name, hash: snapshot.hash, timeoutMs: spec.notifyTimeoutMs };
      for (const notify of spec.notify) lines.push(await applyNotify(notify, ctx));
      return lines;
    },
  };
}

async function prepare(spec: WatcherSpec, logger: Logger, notify: boolean) {
  const schemas = await loadSchemas(spec.schemas);
  const published = await readPublished(spec.dest).catch((err: Error) => {
    logger.warn({ dest: spec.dest, err: err.message }, 'the destination holds an unreadable config; the next good one replaces it');
    return undefined;
  });
  const visible = await listVisibleNames(spec.dest);
  // The published files by path, then what else is there: files from before the watcher, or someone else's.
  const linked = published ? planTopNames(published) : new Set<string>();
  const inDest = [...(published?.files.keys() ?? []), ...visible.filter((n) => !linked.has(n))];
  const metrics = createWatcherMetrics();
  const source = spec.source.kind === 'dir' ? `dir:${spec.source.path}` : `url:${spec.source.url.protocol}//${spec.source.url.host}${spec.source.url.pathname}`;
  const observer = createObserver(logger, metrics, source);
  const reloader = createReloader(wireStages(spec, schemas), published, { notify, destEmpty: published === undefined && visible.length === 0 });
  return { metrics, observer, reloader, source, inDest };
}

function watchSource(spec: WatcherSpec, onChange: (s: ConfigSnapshot) => Promise<void>, observer: Observer): ConfigWatch {
  // A WatcherError thrown by onChange was observed already (write_failed, retried at the next check).
  const onError = (err: Error) => void (err instanceof WatcherError || observer.sourceError(err));
  if (spec.source.kind === 'dir') {
    return watchDirectory(spec.source.path, { debounceMs: spec.debounceMs, pollMs: spec.pollMs, onChange, onError });
  }
  return watchUrl(spec.source.url, {
    pollMs: spec.pollMs, timeoutMs: spec.timeoutMs, tls: spec.tls, headers: spec.headers, fileName: spec.fileName,
    onPoll: (result) => observer.poll(result), onChange, onError,
  });
}

export async function startConfigWatcher(spec: WatcherSpec, logger: Logger, processRegistry?: Registry): Promise<RunningWatcher> {
  const { metrics, observer, reloader, source, inDest } = await prepare(spec, logger, true);
  const admin = await startAdminServer({
    address: spec.admin.address,
    port: spec.admin.port,
    registries: processRegistry ? [metrics.registry, processRegistry] : [metrics.registry],
    isReady: () => reloader.lastGood() !== undefined,
  }).catch((err: NodeJS.ErrnoException) => {
    throw new WatcherError('admin_unavailable', `cannot listen on ${spec.admin.address}:${spec.admin.port} (${err.code ?? err.message})`, { cause: err });
  });
  const onChange = async (snapshot: ConfigSnapshot) => {
    const outcome = await reloader.reload(snapshot);
    observer.reload(outcome);
    if (outcome.result === 'write_failed') throw outcome.error; // worth retrying: the watcher offers it again
  };
  const watch = watchSource(spec, onChange, observer);
  logger.info(
    { source, dest: spec.dest, admin_port: admin.port, notify: spec.notify.map((n) => n.kind), in_dest: inDest },
    'watching',
  );
  return {
    adminPort: admin.port,
    check: () => watch.check(),
    async close() {
      await watch.close();
      await admin.close();
    },
  };
}

/** --once: one read, one reload, never a notification (an init container runs before the app). */
export async function runOnce(spec: WatcherSpec, logger: Logger): Promise<ReloadOutcome | undefined> {
  const { observer, reloader } = await prepare(spec, logger, false);
  let snapshot: ConfigSnapshot;
  try {
    if (spec.source.kind === 'dir') {
      snapshot = await loadDirectorySnapshot(spec.source.path);
    } else {
      const response = await loadUrl(spec.source.url, { timeoutMs: spec.timeoutMs, maxBytes: DEFAULT_MAX_SNAPSHOT_BYTES, tls: spec.tls, headers: spec.headers });
      if (response.status !== 200) throw new Error(`unexpected ${response.status} to an unconditional GET`);
      snapshot = planSnapshot([[spec.fileName ?? parseUrlFileName(spec.source.url), response.body]]);
    }
  } catch (err) {
    observer.sourceError(err as Error);
    return undefined;
  }
  const outcome = await reloader.reload(snapshot);
  observer.reload(outcome);
  return outcome;
}
