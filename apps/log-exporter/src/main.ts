#!/usr/bin/env node
// outrigger-log-exporter: tails the access log in the shared volume and ships it to an aggregator.
// Not built yet (see DESIGN section 9); the project exists so the layout and its rules are in place.
process.stderr.write('outrigger-log-exporter: not available yet in this release; see docs/README.md for what is\n');
process.exitCode = 2;
