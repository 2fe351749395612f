// The closed catalogue of what can go wrong in outrigger-config-watcher: one stable kind per
// failure, the reload result it counts as, and the exit status when it stops the process.
// docs/reference/config-watcher.md is the user-facing copy; watcher-errors.spec.ts keeps them in step.

export type ReloadResult = 'success' | 'invalid' | 'write_failed' | 'notify_failed';

export interface WatcherErrorInfo {
  /** The `result` label of outrigger_config_reloads_total; '-' when the error is not a reload. */
  readonly result: ReloadResult | '-';
  readonly description: string;
}

export const WATCHER_ERRORS = {
  usage: { result: '-', description: 'A flag is missing, unknown or malformed. Exit status 2.' },
  schema_unusable: { result: '-', description: 'A --schema file cannot be read, does not parse, or is not a valid JSON Schema. Exit status 1.' },
  admin_unavailable: { result: '-', description: 'The admin address cannot be bound (port in use, or not permitted). Exit status 1.' },
  source_unavailable: { result: '-', description: 'The source gave no config (folder missing or unreadable, URL unreachable, timeout, TLS failure, a status other than 200/304, too large). Nothing is written; polling goes on.' },
  config_unparsable: { result: 'invalid', description: 'A .yaml, .yml or .json file of the new config does not parse.' },
  schema_violation: { result: 'invalid', description: 'A YAML/JSON file of the new config does not match its --schema.' },
  validate_cmd_failed: { result: 'invalid', description: '--validate-cmd exited non-zero, was killed, timed out or could not be started.' },
  write_failed: { result: 'write_failed', description: 'The new config could not be written into --dest (disk full, permissions, read-only volume, a folder in the way).' },
  process_not_visible: { result: 'notify_failed', description: 'The process to signal cannot be seen: no pid file, a PID that does not exist here, or no process of that name in /proc. The pod needs shareProcessNamespace: true.' },
  notify_failed: { result: 'notify_failed', description: 'The config was written but the app was not told: the signal was refused (EPERM), the reload URL failed or answered non-2xx, or the notify command failed.' },
} as const satisfies Record<string, WatcherErrorInfo>;

export type WatcherErrorKind = keyof typeof WATCHER_ERRORS;

export class WatcherError extends Error {
  readonly kind: WatcherErrorKind;
  /** For config_unparsable and schema_violation: one line per problem, naming the file. */
  readonly problems: readonly string[];

  constructor(kind: WatcherErrorKind, message: string, options?: ErrorOptions & { problems?: readonly string[] }) {
    super(message, options);
    this.name = 'WatcherError';
    this.kind = kind;
    this.problems = options?.problems ?? [message];
  }
}

/** The kind of any error: a WatcherError's own, found by walking `cause`; otherwise undefined. */
export function classifyWatcherError(err: unknown): WatcherErrorKind | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof WatcherError) return e.kind;
  }
  return undefined;
}
