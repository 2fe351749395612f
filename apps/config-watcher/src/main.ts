#!/usr/bin/env node
// outrigger-config-watcher: syncs a ConfigMap or URL into a shared volume and signals the app.
// Not built yet (see DESIGN section 8); the project exists so the layout and its rules are in place.
process.stderr.write('outrigger-config-watcher: not available yet in this release; see docs/README.md for what is\n');
process.exitCode = 2;
