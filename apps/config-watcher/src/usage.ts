// The --help text of outrigger-config-watcher; docs/reference/config-watcher.md has the long form.
import { DEFAULTS } from './parse-args.ts';

export const USAGE = `usage: outrigger-config-watcher --source dir:PATH|url:URL --dest DIR [options]

Keeps DIR in sync with a ConfigMap folder or a URL, refuses bad configs, tells the app to reload.

source and destination
  --source dir:PATH | url:URL   where the config comes from (a ConfigMap volume, any folder, http(s) URL)
  --dest DIR                    the shared volume the app reads; switched atomically through DIR/..data
  --once                        sync once and exit, never notify (an init container); exit 1 if refused
validation (before anything is written)
  --schema [FILE=]SCHEMA        JSON Schema (JSON or YAML) for FILE, or for every .yaml/.yml/.json file; repeatable
  --validate-cmd CMD            /bin/sh -c CMD with the staged folder as $1 and cwd; non-zero = refuse
  --validate-timeout DURATION   default ${DEFAULTS.validateTimeout}
notification (after the switch; not for the first config written into an empty DIR)
  --notify signal:HUP           with --pid-file FILE or --process-name NAME (needs shareProcessNamespace)
  --notify http:METHOD:URL      e.g. http:POST:http://127.0.0.1:8080/-/reload; 2xx = done
  --notify exec:CMD             /bin/sh -c CMD with DIR as $1
  --notify-timeout DURATION     default ${DEFAULTS.notifyTimeout}
timing
  --debounce DURATION           quiet time after a folder event before reading; default ${DEFAULTS.debounce}
  --poll DURATION               poll interval (url) or backstop re-read (dir); default ${DEFAULTS.poll}
url: source only
  --timeout DURATION            per request; default ${DEFAULTS.timeout}
  --ca-file F  --cert-file F  --key-file F   TLS: private CA, client certificate and key
  --header "Name: value"        extra request header; repeatable
  --file-name NAME              the file the body becomes in DIR; default the URL's last path segment
process
  --admin-address A             default ${DEFAULTS.adminAddress}
  --admin-port P                /metrics, /ready, /live; default ${DEFAULTS.adminPort}
  --log-level L                 default ${DEFAULTS.logLevel}
  --help, -h                    this text
`;
