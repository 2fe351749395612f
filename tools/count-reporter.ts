// node:test reporter that writes one JSON object of counts (passed, failed, skipped) for the
// summary that tools/run-tests.ts prints. Suites are not counted, only the tests in them.
import type { TestEvent } from 'node:test/reporters';

export default async function* countReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const data = event.data as { details?: { type?: string }; skip?: unknown; todo?: unknown };
    // A file that does not load is reported as a failed test; a failing hook fails its tests.
    if (data.details?.type === 'suite') continue;
    if (data.skip !== undefined || data.todo !== undefined) skipped++;
    else if (event.type === 'test:pass') passed++;
    else failed++;
  }
  yield JSON.stringify({ passed, failed, skipped }) + '\n';
}
