// docs/reference/injector.md against the code it documents: every webhook error kind with its
// status, every skip reason, every metric name. A kind added to the code fails here until documented.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTAINERS, SKIP_REASONS, VOLUMES } from '@outrigger/inject';
import { createWebhookMetrics } from './webhook-metrics.ts';
import { WEBHOOK_ERRORS } from './webhook-server.ts';

const reference = (name: string) => readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'reference', name), 'utf8');
const doc = reference('injector.md');
const rows = doc.split('\n').filter((line) => line.startsWith('| `'));

test('injector.md lists every webhook error kind with its status, every skip reason and every metric', async () => {
  for (const [kind, { status }] of Object.entries(WEBHOOK_ERRORS)) {
    assert.ok(rows.some((row) => row.startsWith(`| \`${kind}\` | ${status} |`)), `error ${kind} (${status})`);
  }
  for (const reason of Object.keys(SKIP_REASONS)) assert.ok(rows.some((row) => row.startsWith(`| \`${reason}\` |`)), `skip reason ${reason}`);
  const metrics = await createWebhookMetrics().registry.getMetricsAsJSON();
  for (const { name } of metrics.filter((m) => m.name.startsWith('outrigger_injector_admission'))) {
    assert.ok(rows.some((row) => row.startsWith(`| \`${name}\` |`)), `metric ${name}`);
  }
});

test('annotations.md names every container and volume whose presence means "already injected"', () => {
  const annotations = reference('annotations.md');
  for (const name of [...Object.values(CONTAINERS), ...Object.values(VOLUMES)]) assert.ok(annotations.includes(`\`${name}\``), name);
});
