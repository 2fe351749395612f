// The proxies' configuration files, rendered from the ports and paths of one bench cell: an
// Outrigger sidecar (one explicit listener), and nginx as the same pair at L7 (http) and L4
// (stream). Everything listens on 127.0.0.1 only. Pure: strings in, strings out.

export interface CertPaths {
  cert: string;
  key: string;
  ca: string;
}

export interface OutriggerSidecar {
  name: string;
  tls: 'none' | 'mutual';
  protocol: 'http' | 'tcp';
  upstreamPort: number;
  upstreamTls: 'none' | 'mesh';
  /** The workload identity; required when tls or upstreamTls uses it. */
  identity: CertPaths | null;
  /** null: access log off (the stdout default is turned off too). */
  accessLogFile: string | null;
}

export function renderOutrigger(s: OutriggerSidecar): string {
  const lines = ['admin: { address: 127.0.0.1, port: 0 }'];
  if (s.identity) lines.push(`identity: { certFile: ${JSON.stringify(s.identity.cert)}, keyFile: ${JSON.stringify(s.identity.key)}, trustBundleFile: ${JSON.stringify(s.identity.ca)} }`);
  lines.push(
    'listeners:',
    `  - { name: ${s.name}, address: 127.0.0.1, port: 0, tls: ${s.tls}, protocol: ${s.protocol}, upstream: "127.0.0.1:${s.upstreamPort}", upstreamTls: ${s.upstreamTls} }`,
    s.accessLogFile ? `accessLog: { stdout: false, file: ${JSON.stringify(s.accessLogFile)} }` : 'accessLog: { stdout: false }',
    // A short drain: the harness stops sidecars between cells, and a --cpu-prof run must exit soon.
    'timeouts: { drain: 1s }',
  );
  return `${lines.join('\n')}\n`;
}

export interface NginxCommon {
  /** Folder for the pid file and nginx's temp folders. */
  dir: string;
  name: string;
  listenPort: number;
  upstreamPort: number;
  accessLogFile: string;
  /** `load_module` line for a dynamic stream module, or null when built in. */
  streamModule: string | null;
}

/** outbound: plaintext in, mTLS out; inbound: mTLS in, plaintext out; hop: plaintext both sides (one inbound sidecar's job without TLS). */
export type NginxRole = { role: 'outbound'; client: CertPaths } | { role: 'inbound'; server: CertPaths } | { role: 'hop' };

// One process, no master: its CPU and RSS are all in one PID, like a Node sidecar's.
function head(c: NginxCommon, loadStream: boolean): string {
  return [
    loadStream && c.streamModule ? `load_module ${c.streamModule};` : '',
    'daemon off;',
    'master_process off;',
    'worker_processes 1;',
    `pid ${c.dir}/${c.name}.pid;`,
    'error_log stderr warn;',
    'events { worker_connections 8192; }',
  ]
    .filter(Boolean)
    .join('\n');
}

const TLS13 = 'TLSv1.3';

export function renderNginxHttp(c: NginxCommon, r: NginxRole): string {
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${c.dir}/${c.name}-${t};`).join('\n');
  const upstreamScheme = r.role === 'outbound' ? 'https' : 'http';
  const listen = r.role === 'inbound' ? `listen 127.0.0.1:${c.listenPort} ssl;` : `listen 127.0.0.1:${c.listenPort};`;
  const tls =
    r.role === 'outbound'
      ? [
          `proxy_ssl_certificate ${r.client.cert};`,
          `proxy_ssl_certificate_key ${r.client.key};`,
          `proxy_ssl_trusted_certificate ${r.client.ca};`,
          'proxy_ssl_verify on;',
          'proxy_ssl_name localhost;',
          `proxy_ssl_protocols ${TLS13};`,
          'proxy_ssl_session_reuse on;',
          'proxy_set_header X-Request-Id $request_id;',
        ]
      : [
          'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
          'proxy_set_header X-Forwarded-Proto http;',
          'proxy_set_header X-Forwarded-Host $host;',
          'proxy_set_header X-Forwarded-Port $server_port;',
          // The hop is the first proxy: it makes the request ID, as Outrigger's inbound sidecar does.
          r.role === 'hop' ? 'proxy_set_header X-Request-Id $request_id;' : 'proxy_set_header X-Request-Id $http_x_request_id;',
        ];
  const serverTls =
    r.role === 'inbound'
      ? [
          `ssl_certificate ${r.server.cert};`,
          `ssl_certificate_key ${r.server.key};`,
          `ssl_client_certificate ${r.server.ca};`,
          'ssl_verify_client on;',
          `ssl_protocols ${TLS13};`,
          `ssl_session_cache shared:${c.name}:1m;`,
        ]
      : [];
  return `${head(c, false)}
http {
${temp}
  log_format bench escape=json '{"time":"$time_iso8601","method":"$request_method","path":"$request_uri","status":$status,"bytes_sent":$bytes_sent,"duration":$request_time,"upstream":"$upstream_addr","upstream_time":"$upstream_response_time","request_id":"$request_id","peer":"$ssl_client_s_dn"}';
  access_log ${c.accessLogFile} bench;
  upstream peer {
    server 127.0.0.1:${c.upstreamPort};
    keepalive 64;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
  }
  server {
    ${listen}
    keepalive_timeout 65s;
    keepalive_requests 1000000;
    ${serverTls.join('\n    ')}
    location / {
      proxy_pass ${upstreamScheme}://peer;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      # Stream large answers instead of spooling them to disk (as a sidecar must).
      proxy_max_temp_file_size 0;
      ${tls.join('\n      ')}
    }
  }
}
`;
}

export function renderNginxStream(c: NginxCommon, r: Exclude<NginxRole, { role: 'hop' }>): string {
  const side =
    r.role === 'outbound'
      ? [
          `listen 127.0.0.1:${c.listenPort};`,
          'proxy_ssl on;',
          `proxy_ssl_certificate ${r.client.cert};`,
          `proxy_ssl_certificate_key ${r.client.key};`,
          `proxy_ssl_trusted_certificate ${r.client.ca};`,
          'proxy_ssl_verify on;',
          'proxy_ssl_name localhost;',
          `proxy_ssl_protocols ${TLS13};`,
          'proxy_ssl_session_reuse on;',
        ]
      : [
          `listen 127.0.0.1:${c.listenPort} ssl;`,
          `ssl_certificate ${r.server.cert};`,
          `ssl_certificate_key ${r.server.key};`,
          `ssl_client_certificate ${r.server.ca};`,
          'ssl_verify_client on;',
          `ssl_protocols ${TLS13};`,
          `ssl_session_cache shared:${c.name}:1m;`,
        ];
  return `${head(c, true)}
stream {
  log_format bench '$remote_addr [$time_iso8601] $protocol $status $bytes_sent $bytes_received $session_time "$upstream_addr" "$ssl_client_s_dn"';
  access_log ${c.accessLogFile} bench;
  server {
    ${side.join('\n    ')}
    proxy_pass 127.0.0.1:${c.upstreamPort};
  }
}
`;
}
