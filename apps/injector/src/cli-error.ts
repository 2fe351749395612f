// Errors the CLI reports to its user as one line, without a stack: a bad flag, a missing file,
// a refusal, an external command (iptables) missing or failing. `usage` errors (a command used
// wrongly; for `init`, any bad argument) exit 2; the rest exit 1.
export type CliErrorKind = 'usage' | 'invalid-flag' | 'file' | 'refused' | 'command';

export class CliError extends Error {
  readonly kind: CliErrorKind;

  constructor(kind: CliErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CliError';
    this.kind = kind;
  }

  get exitCode(): number {
    return this.kind === 'usage' ? 2 : 1;
  }
}
