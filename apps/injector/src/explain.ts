// Turns file-system and PKI errors into one-line messages that name the file or flag at fault.
import { CliError } from './cli-error.ts';

const FS_REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a directory',
  ENOTDIR: 'not a directory',
  EEXIST: 'it already exists',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
};

export function fileProblem(cmd: string, what: string, err: unknown, hint = ''): CliError {
  const code = (err as NodeJS.ErrnoException).code;
  const reason = (code !== undefined ? FS_REASONS[code] : undefined) ?? (err instanceof Error ? err.message : String(err));
  return new CliError('file', `${cmd}: ${what}: ${reason}${hint}`, { cause: err });
}

// Which input each PKI error code is about: a flag, or one of the CA files.
const PKI_SOURCES: Record<string, 'cert' | 'key' | `--${string}`> = {
  'invalid-ip': '--ip',
  'invalid-dns-name': '--dns',
  'invalid-validity': '--validity-hours',
  'invalid-trust-domain': '--trust-domain',
  'invalid-certificate': 'cert',
  'not-a-ca': 'cert',
  'ca-expired': 'cert',
  'invalid-key': 'key',
  'ca-key-mismatch': 'key',
};

/** Runs a @outrigger/pki call and explains its errors (PkiError, with a code); others pass as they are. */
export function explainPki<T>(cmd: string, files: { cert: string; key: string }, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (!(err instanceof Error) || err.name !== 'PkiError' || typeof code !== 'string') throw err;
    const source = PKI_SOURCES[code];
    const where = source === 'cert' ? files.cert : source === 'key' ? files.key : source;
    throw new CliError('invalid-flag', `${cmd}: ${where === undefined ? '' : `${where}: `}${err.message}`, { cause: err });
  }
}
