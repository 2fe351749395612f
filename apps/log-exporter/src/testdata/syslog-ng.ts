// A real syslog-ng (Debian's syslog-ng-core) for integration tests and the benchmark, in the
// foreground on 127.0.0.1 with its config, persist, pid and control files in a folder of ours,
// writing each message's MSG as one line to a file. Stopped by its PID only.

// The source: `syslog()`, which speaks RFC 6587 octet counting on TCP (in syslog-ng 3.38
// `network(transport("tcp"))` frames by newline); flow control, so it stops reading rather than
// dropping when its file writer lags; tuned as docs/reference/log-exporter.md advises
// (log-fetch-limit(1000): the default 10 made syslog-ng the bottleneck at 60k/s;
// max-connections >= 2 x sink.maxConnections).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

export const SYSLOG_NG = '/usr/sbin/syslog-ng';

export function syslogNgAvailable(): boolean {
  return existsSync(SYSLOG_NG);
}

export interface SyslogNg {
  readonly port: number;
  /** Where each received message's MSG is written, one per line. */
  readonly outFile: string;
  readonly pid: number | undefined;
  start(): Promise<void>;
  /** SIGTERM to our PID (syslog-ng writes out what it took), then waits for the exit. */
  stop(): Promise<void>;
  /** Received lines (BOM stripped by syslog-ng). */
  lines(): string[];
}

/** With tls, the source is RFC 5425 (syslog over TLS) with this certificate and key. */
export function syslogNg(dir: string, port: number, tls?: { cert: string; key: string }): SyslogNg {
  const outFile = join(dir, 'received.log');
  const conf = join(dir, 'syslog-ng.conf');
  const transport = tls ? `transport("tls") tls(cert-file("${tls.cert}") key-file("${tls.key}") peer-verify(optional-untrusted))` : 'transport("tcp")';
  writeFileSync(
    conf,
    `@version: 3.38
options { keep-hostname(yes); use-dns(no); log-msg-size(262144); stats-freq(0); flush-lines(1000); log-fetch-limit(1000); };
source s_net { syslog(ip("127.0.0.1") port(${port}) ${transport} max-connections(16) log-iw-size(80000) log-fetch-limit(1000)); };
destination d_file { file("${outFile}" template("$MSG\\n") template-escape(no) log-fifo-size(100000)); };
log { source(s_net); destination(d_file); flags(flow-control); };
`,
  );
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let stderr = '';
  return {
    port,
    outFile,
    get pid() {
      return child?.pid;
    },
    async start() {
      child = spawn(SYSLOG_NG, ['-F', '--no-caps', '-f', conf, '-R', join(dir, 'syslog-ng.persist'), '-p', join(dir, 'syslog-ng.pid'), '-c', join(dir, 'syslog-ng.ctl')], { stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
      const me = child;
      exited = new Promise((resolve) => me.once('exit', () => resolve()));
      const deadline = Date.now() + 10_000;
      for (;;) {
        if (me.exitCode !== null) throw new Error(`syslog-ng exited with ${me.exitCode}: ${stderr}`);
        if (await accepts(port)) return;
        if (Date.now() > deadline) throw new Error(`syslog-ng did not listen on ${port} within 10 s: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      if (child && child.exitCode === null && child.signalCode === null) {
        const me = child;
        me.kill('SIGTERM');
        const timer = setTimeout(() => me.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
    },
    lines() {
      if (!existsSync(outFile)) return [];
      const text = readFileSync(outFile, 'utf8');
      return text.split('\n').slice(0, -1);
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.end();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
