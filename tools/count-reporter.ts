// node:test reporter that writes one JSON object of counts (passed, failed, skipped) for the
// summary that tools/run-tests.ts prints, and each failure's name, file and error, so the end of
// a long run (all that CI may show) says what failed. Suites are not counted, only their tests.
import type { TestEvent } from 'node:test/reporters';

/** Lines of one failure's error kept for the summary. */
const ERROR_LINES = 30;

export interface Failure {
  name: string;
  file?: string;
  line?: number;
  error: string;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // node:test wraps the test's error as `cause` of an ERR_TEST_FAILURE.
  const inner = (error as Error & { code?: string }).code === 'ERR_TEST_FAILURE' && error.cause !== undefined ? error.cause : error;
  const text = inner instanceof Error ? (inner.stack ?? `${inner.name}: ${inner.message}`) : String(inner);
  return text.split('\n').slice(0, ERROR_LINES).join('\n');
}

export default async function* countReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const failures: Failure[] = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const data = event.data as {
      name: string;
      file?: string;
      line?: number;
      details?: { type?: string; error?: unknown };
      skip?: unknown;
      todo?: unknown;
    };
    // A file that does not load is reported as a failed test; a failing hook fails its tests.
    if (data.details?.type === 'suite') continue;
    if (data.skip !== undefined || data.todo !== undefined) skipped++;
    else if (event.type === 'test:pass') passed++;
    else {
      failed++;
      failures.push({ name: data.name, file: data.file, line: data.line, error: describe(data.details?.error) });
    }
  }
  yield JSON.stringify({ passed, failed, skipped, failures }) + '\n';
}
