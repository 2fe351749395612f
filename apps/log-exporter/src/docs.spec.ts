// Keeps docs/reference/log-exporter.md true to the code: every flag in --help, the example of a
// refused config as the exporter prints it, every key with its default, every sink key, every
// metric and every failure reason the exporter can report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FAILURE_REASONS, LOSS_REASONS, REJECT_REASONS, ShipStats } from '@outrigger/logship';
import { run, withTempDir } from '@outrigger/testing';
import type { z } from 'zod';
import { exporterConfigSchema, sinkSchema } from './config-schema.ts';
import { createExporterMetrics } from './metrics.ts';
import { parseExporterConfig } from './parse-config.ts';
import { parseByteSize, parseDuration } from './parse-units.ts';
import { MAIN } from './testdata/exporter-process.ts';
import { OPTIONS } from './usage.ts';

const doc = readFileSync(new URL('../../../docs/reference/log-exporter.md', import.meta.url), 'utf8');
const rows = doc.split('\n').filter((l) => l.startsWith('|') && !/^\|[-| ]+\|$/.test(l)).map((l) => l.slice(1, -1).split('|').map((c) => c.trim()));
const blocks = [...doc.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], body: m[2] as string }));
const shapeOf = (s: z.ZodType): Record<string, z.ZodType> => {
  let cur = s;
  for (;;) {
    const def = cur._zod.def as { shape?: Record<string, z.ZodType>; innerType?: z.ZodType; in?: z.ZodType; type: string };
    if (def.shape) return def.shape;
    cur = (def.innerType ?? def.in) as z.ZodType;
  }
};

/** A default as the doc writes it (`64KiB`, `250ms`, `["a"]`, `16`, `info`) -> the value the schema gives. */
function docValue(cell: string): unknown {
  const text = cell.replace(/^`|`$/g, '');
  try {
    return JSON.parse(text);
  } catch {
    return parseDuration(text) ?? parseByteSize(text) ?? text;
  }
}

test('--help names every flag of the flags table, and the table every flag parsed', async () => {
  const documented = rows.filter((r) => (r[0] ?? '').startsWith('`-')).flatMap((r) => [...(r[0] as string).matchAll(/`(--?[a-z]+)/g)].map((m) => m[1] as string));
  const parsed = Object.entries(OPTIONS).flatMap(([name, o]) => [`--${name}`, ...('short' in o ? [`-${o.short}`] : [])]);
  assert.deepEqual(documented.sort(), parsed.sort());
  const help = await run(process.execPath, [MAIN, '--help']);
  assert.equal(help.code, 0, help.stderr);
  for (const flag of documented) assert.match(help.stdout, new RegExp(`(^|[\\s,])${flag}\\b`, 'm'), `${flag} in --help`);
  assert.match(help.stdout, /OUTRIGGER_CONFIG/, 'the variable the doc says stands in for --config');
});

test('the refused config of the example prints exactly what the doc shows', async () => {
  const at = blocks.findIndex((b) => b.body.startsWith('outrigger-log-exporter: invalid config '));
  const config = blocks[at - 1];
  assert.equal(config?.lang, 'yaml', 'the config is shown just before its output');
  await withTempDir(async (dir) => {
    writeFileSync(join(dir, 'exporter.yaml'), config.body);
    const r = await run(process.execPath, [MAIN, '--config', 'exporter.yaml'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, blocks[at]?.body);
  });
});

test('every top-level key is in the Keys table with the default the schema gives', () => {
  const parsed = parseExporterConfig('sink: { kind: stdout }\n');
  assert.ok(parsed.ok);
  const config = parsed.config as unknown as Record<string, Record<string, unknown>>;
  for (const [section, schema] of Object.entries(shapeOf(exporterConfigSchema))) {
    if (section === 'sink') continue;
    for (const key of Object.keys(shapeOf(schema))) {
      const row = rows.find((r) => r[0] === `\`${section}.${key}\``);
      assert.ok(row, `row for ${section}.${key}`);
      assert.deepEqual(docValue(row[1] as string), config[section]?.[key], `default of ${section}.${key}`);
    }
  }
});

test('every key of every sink is documented', () => {
  const options = (sinkSchema._zod.def as unknown as { options: z.ZodType[] }).options;
  for (const option of options) {
    for (const key of Object.keys(shapeOf(option))) {
      if (key === 'kind') continue;
      assert.ok(rows.some((r) => (r[0] ?? '').split(',').map((c) => c.trim()).includes(`\`sink.${key}\``)), `sink.${key}`);
    }
  }
});

test('every metric, and nothing else, is in the metrics table', async () => {
  const registry = createExporterMetrics({ stats: new ShipStats(), lagBytes: () => 0, inFlight: () => 0, filesOpen: () => 0 });
  const names = (await registry.getMetricsAsJSON()).map((m) => m.name).sort();
  const documented = rows.filter((r) => /^`outrigger_/.test(r[0] ?? '') && /^(counter|gauge)$/.test(r[1] ?? '')).map((r) => (r[0] as string).slice(1, -1)).sort();
  assert.deepEqual(documented, names);
});

test('every failure, dead-letter and loss reason is documented', () => {
  for (const reason of [...FAILURE_REASONS, ...LOSS_REASONS]) assert.ok(rows.some((r) => r[0] === `\`${reason}\``), reason);
  for (const reason of REJECT_REASONS) assert.match(doc, new RegExp(`\`${reason}\``), reason);
});
