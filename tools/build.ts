// Builds what the image ships: one self-contained ES module per app (esbuild bundles our
// TypeScript and every npm dependency into it) and the original-dst addon beside them. A sidecar
// started from its bundle needs no node_modules and no type stripping at run time: it starts in
// about half the time and takes about 40 MB less memory than from the sources (bench/RESULTS.md).
//
//   node tools/build.ts [--out DIR]      default dist/bundle
//
// DIR/<bin>.mjs for each bin of apps/*/package.json (executable, `#!/usr/bin/env node`), and
// DIR/build/Release/original_dst.node. Development and `npm test` run the sources; the bundle is
// what deploy/Dockerfile puts on PATH, and e2e/src/bundle.spec.ts runs it.
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build, type Plugin } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '..');
const ADDON = join(ROOT, 'libs/shared/original-dst/build/Release/original_dst.node');

export interface BuiltApp {
  bin: string;
  file: string;
  bytes: number;
}

/** The apps' bins: name -> entry (apps/<app>/package.json `bin`). */
export function appEntries(root: string = ROOT): Map<string, string> {
  const entries = new Map<string, string>();
  for (const app of readdirSync(join(root, 'apps'))) {
    const pkg = JSON.parse(readFileSync(join(root, 'apps', app, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
    for (const [bin, entry] of Object.entries(pkg.bin ?? {})) entries.set(bin, join(root, 'apps', app, entry));
  }
  return entries;
}

/**
 * The bundle with every non-ASCII character escaped (\uXXXX). node keeps a module's source for its
 * life, as a one-byte string only if every character is ASCII: one `…` in a kept comment made the
 * proxy's 2.9 MB source a two-byte string, 2.9 MB more RSS (85.0 -> 82.1 MiB idle). esbuild
 * already escapes strings, templates and regular expressions (its default `charset: 'ascii'`), so
 * what is left is in comments, where an escape reads the same.
 */
export function asciiOnly(source: string): string {
  return source.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const BUILTINS = new Set(builtinModules);

/**
 * Node's built-in modules taken with require() rather than an ES import. An ES import of a
 * built-in makes node fill the module's namespace, reading every export, and some exports are lazy
 * getters: node:http's WebSocket, CloseEvent and MessageEvent load node's own copy of undici (a
 * 760 KB source kept for the process's life) and web streams, node:crypto's webcrypto and subtle
 * load Web Crypto. None of them is used. Through a CommonJS shim esbuild reads each export where
 * it is used, as node's require() gives them: idle RSS of the proxy 78.5 -> 76.6 MiB.
 */
const builtinsByRequire: Plugin = {
  name: 'builtins-by-require',
  setup(b) {
    b.onResolve({ filter: /^[a-z_/:]+$/ }, (args) => {
      if (args.kind !== 'import-statement' || !(BUILTINS.has(args.path) || BUILTINS.has(args.path.replace(/^node:/, '')))) return undefined;
      return { path: args.path, namespace: 'builtin-by-require' };
    });
    b.onLoad({ filter: /.*/, namespace: 'builtin-by-require' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

/**
 * zod's error messages in English only. `import { z } from 'zod'` reaches zod's namespace of
 * locales (`z.locales`, 64 languages), which a bundler cannot drop from a namespace object in use;
 * Outrigger's config errors are English (zod configures `en` itself, from its own module, not
 * through this index). The index is replaced by one that exports `en` alone: the proxy bundle
 * 2.23 -> 1.87 MB, its idle RSS 76.7 -> 73.7 MiB (every locale module ran at start).
 */
const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
      if (!/[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)) return undefined;
      return { path: join(dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'zod-english-only' };
    });
    b.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(join(dirname(args.path), 'en.js'))};`,
      loader: 'js',
      resolveDir: dirname(args.path),
    }));
  },
};

export async function buildBundles(outDir: string, entries: Map<string, string> = appEntries()): Promise<BuiltApp[]> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const built: BuiltApp[] = [];
  for (const [bin, entry] of entries) {
    const file = join(outDir, `${bin}.mjs`);
    const result = await build({
      entryPoints: [entry],
      outfile: file,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      // Not minified: stack traces name the same functions as the sources do, and no __name()
      // wrapper (esbuild's keepNames) runs for each closure a request creates. Minifying saved
      // under 1 MB of RSS here.
      minify: false,
      sourcemap: false,
      metafile: true,
      logLevel: 'warning',
      plugins: [builtinsByRequire, zodEnglishOnly],
      // CommonJS dependencies (node-forge, prom-client...) call require(); an ES module has none.
      // (The entries' own `#!/usr/bin/env node` line is kept first by esbuild.)
      banner: { js: "import { createRequire as __outriggerRequire } from 'node:module';\nconst require = __outriggerRequire(import.meta.url);" },
    });
    writeFileSync(file, asciiOnly(readFileSync(file, 'utf8')));
    chmodSync(file, 0o755);
    const bytes = Object.values(result.metafile.outputs)[0]?.bytes ?? 0;
    built.push({ bin, file, bytes });
  }
  // node-gyp-build looks for build/Release/<name>.node under the folder it is given; the bundled
  // loader gives it the bundle's own folder (libs/shared/original-dst/src/index.ts).
  mkdirSync(join(outDir, 'build', 'Release'), { recursive: true });
  copyFileSync(ADDON, join(outDir, 'build', 'Release', 'original_dst.node'));
  return built;
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  const { values } = parseArgs({ options: { out: { type: 'string', default: join(ROOT, 'dist', 'bundle') } } });
  const outDir = resolve(values.out!);
  try {
    for (const b of await buildBundles(outDir)) console.log(`${relative(process.cwd(), b.file)}  ${(b.bytes / 1024).toFixed(0)} KiB`);
    console.log(`${relative(process.cwd(), join(outDir, 'build', 'Release', 'original_dst.node'))}  (from ${relative(process.cwd(), dirname(ADDON))})`);
  } catch (err) {
    console.error(`build failed: ${(err as Error).message}`);
    process.exit(1);
  }
}
