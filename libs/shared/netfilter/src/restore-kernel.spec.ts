// The golden files against the real kernel (root only): each is valid iptables-restore input for
// both backends, and once loaded, iptables-save prints our lines back exactly as we render them.
// Everything happens in a network namespace made for this file and deleted after it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '@outrigger/testing';
import { parseOwnLines } from './plan-cleanup.ts';

const TESTDATA = join(import.meta.dirname, 'testdata');
const goldens = readdirSync(TESTDATA).filter((f) => f.endsWith('.rules')).sort();
const ns = `outrigger-test-${randomBytes(4).toString('hex')}`;
const skip = process.getuid?.() === 0 ? false : 'needs root to create a network namespace (CI runs as root)';
let created = false;

async function inNs(cmd: string, args: string[], input?: string) {
  return run('ip', ['netns', 'exec', ns, cmd, ...args], { input });
}

before(async () => {
  if (skip !== false) return;
  const added = await run('ip', ['netns', 'add', ns]);
  assert.equal(added.code, 0, `ip netns add ${ns}: ${added.stderr}`);
  created = true;
});

after(async () => {
  if (created) await run('ip', ['netns', 'del', ns]);
});

for (const backend of ['nft', 'legacy'] as const) {
  for (const file of goldens) {
    const prefix = file.endsWith('.v6.rules') ? 'ip6tables' : 'iptables';
    test(`${prefix}-${backend}-restore takes testdata/${file} and iptables-save prints it back`, { skip }, async () => {
      const text = readFileSync(join(TESTDATA, file), 'utf8');
      const checked = await inNs(`${prefix}-${backend}-restore`, ['--test', '--noflush'], text);
      assert.equal(checked.code, 0, `--test rejected ${file}: ${checked.stderr}`);
      const loaded = await inNs(`${prefix}-${backend}-restore`, ['--noflush'], text);
      assert.equal(loaded.code, 0, `loading ${file}: ${loaded.stderr}`);
      const save = await inNs(`${prefix}-${backend}-save`, ['-t', 'nat']);
      assert.equal(save.code, 0, save.stderr);
      const ruleLines = (t: string) => t.split('\n').filter((line) => line.startsWith('-A '));
      assert.deepEqual(ruleLines(parseOwnLines(save.stdout).join('\n')), ruleLines(text));
    });
  }
}
