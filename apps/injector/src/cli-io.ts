// Where the CLI writes its lines; main.ts binds it to stdout and stderr, tests to arrays.
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}
