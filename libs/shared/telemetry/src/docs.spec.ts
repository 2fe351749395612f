// Keeps docs/reference/{errors,access-log,metrics}.md true to the code: users and the log exporter
// read those pages as the contract, so a change here that the docs do not follow fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_KINDS, RESPONSE_FLAGS, type ErrorKind } from './error-kinds.ts';
import { ACCESS_LOG_FIELDS, formatAccessLogLine } from './access-log-record.ts';
import { MAX_BUFFERED_BYTES } from './access-log.ts';
import { ERROR_RECORD, HTTP_RECORD, TCP_RECORD } from './testdata/records.ts';
import { CATALOGUE } from './testdata/metric-catalogue.ts';

const doc = (name: string): string => readFileSync(new URL(`../../../../docs/reference/${name}`, import.meta.url), 'utf8');

/** Rows of every markdown table in the text, as trimmed cells. */
function tableRows(text: string): string[][] {
  return text.split('\n').filter((l) => l.startsWith('|') && !/^\|[-| ]+\|$/.test(l))
    .map((l) => l.slice(1, -1).split('|').map((c) => c.trim()));
}

test('errors.md: every kind with its flag and status, and a section saying when and what to check', () => {
  const text = doc('errors.md');
  const rows = tableRows(text);
  for (const [kind, info] of Object.entries(ERROR_KINDS)) {
    assert.ok(rows.some((r) => r[0] === kind && r[1] === info.flag && r[2] === String(info.httpStatus)), `summary row for ${kind}`);
    const section = new RegExp(`^### ${kind}\\n(Flag \`${info.flag}\`|No flag)`, 'm');
    assert.match(text, section, `section for ${kind}`);
  }
  const kindsInSummary = rows.filter((r) => /^\d+$/.test(r[2] ?? '')).map((r) => r[0]); // rows with a status
  assert.deepEqual(kindsInSummary, Object.keys(ERROR_KINDS));
  for (const [flag, { name, origin }] of Object.entries(RESPONSE_FLAGS)) {
    assert.ok(rows.some((r) => r[0] === flag && r[1] === name && r[2]?.toLowerCase().startsWith(origin)), `flag row ${flag}`);
  }
});

test('access-log.md: every field in order, the example lines as the code writes them, the flag table', () => {
  const text = doc('access-log.md');
  const fieldRows = tableRows(text).filter((r) => /^\d+$/.test(r[0] ?? ''));
  assert.deepEqual(fieldRows.map((r) => r[1]), ACCESS_LOG_FIELDS.map((f) => `\`${f}\``));
  for (const record of [HTTP_RECORD, ERROR_RECORD, TCP_RECORD]) {
    assert.ok(text.includes('```json\n' + formatAccessLogLine(record) + '```'), `example line for ${record.protocol} ${record.response_code}`);
  }
  for (const flag of Object.keys(RESPONSE_FLAGS)) {
    const row = tableRows(text).find((r) => r[0] === `\`${flag}\``);
    assert.ok(row, `flag ${flag}`);
    const kinds = Object.entries(ERROR_KINDS).filter(([, i]) => i.flag === flag).map(([k]) => k as ErrorKind);
    assert.deepEqual(row[2]?.split(', '), kinds, `kinds of ${flag}`);
  }
  assert.ok(text.includes(`at most ${MAX_BUFFERED_BYTES / 1024 / 1024} MiB`));
});

test('metrics.md: every metric with its type and labels', () => {
  const rows = tableRows(doc('metrics.md'));
  for (const [, name, type, labels] of CATALOGUE) {
    const row = rows.find((r) => r[0] === `\`${name}\``);
    assert.ok(row, name);
    assert.equal(row[1], type, name);
    assert.deepEqual(row[2] === '(none)' ? [] : row[2]?.split(', '), labels, name);
  }
  const documented = rows.filter((r) => r[0]?.startsWith('`outrigger_')).map((r) => r[0]);
  assert.equal(documented.length, CATALOGUE.length);
});
