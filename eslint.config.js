// Lint for every project. The architecture's dependency rules (DESIGN section 1) are enforced here:
// apps import libs, libs never import apps, pure libraries import no I/O modules, and `testing`
// is imported only by tests (*.spec.ts), e2e and examples never by production code.
import nx from '@nx/eslint-plugin';
import tsParser from '@typescript-eslint/parser';

const ioModules = ['fs', 'fs/promises', 'net', 'tls', 'http', 'https', 'http2', 'dgram', 'dns', 'child_process', 'cluster', 'worker_threads', 'readline', 'process'];
const ioPaths = ioModules.flatMap((m) => [m, `node:${m}`]).map((name) => ({ name, message: 'pure code does no I/O (DESIGN section 1); move this to an I/O edge' }));

/** Files that must stay pure: whole pure libraries and the pure halves of mixed ones. */
const pureFiles = [
  'libs/shared/pki/src/**/*.ts',
  'libs/shared/netfilter/src/**/*.ts',
  'libs/shared/inject/src/**/*.ts',
  'libs/shared/config/src/schema.ts',
  'libs/shared/config/src/parse-*.ts',
  'libs/shared/config/src/plan-*.ts',
  'libs/shared/telemetry/src/access-log-record.ts',
  'libs/shared/telemetry/src/error-kinds.ts',
];

const boundaries = (allowTesting) => {
  const testing = allowTesting ? ['type:testing'] : [];
  return [
    'error',
    {
      enforceBuildableLibDependency: false,
      allow: [],
      depConstraints: [
        { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib', ...testing] },
        { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib', ...testing] },
        { sourceTag: 'purity:pure', onlyDependOnLibsWithTags: ['purity:pure', ...testing] },
        { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:lib', 'type:testing'] },
        { sourceTag: 'type:example', onlyDependOnLibsWithTags: ['type:lib'] },
        { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib', 'type:testing'] },
      ],
    },
  ];
};

export default [
  { ignores: ['**/node_modules/**', 'dist/**', '.nx/**', '**/build/**', '.outrigger-dev/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tsParser, ecmaVersion: 'latest', sourceType: 'module' },
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': boundaries(false),
      'no-throw-literal': 'error',
      'prefer-const': 'error',
      'no-var': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    files: ['**/*.spec.ts', 'libs/shared/testing/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': boundaries(true) },
  },
  {
    files: pureFiles,
    ignores: ['**/*.spec.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: ioPaths }] },
  },
];
