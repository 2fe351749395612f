// Sample access-log records shared by the specs; docs/reference/access-log.md shows their lines.
import { ERROR_KINDS } from '../error-kinds.ts';
import type { AccessLogRecord } from '../access-log-record.ts';

/** An inbound HTTP request over mesh mTLS, answered by the app. */
export const HTTP_RECORD: AccessLogRecord = {
  time: '2025-01-02T03:04:05.678Z',
  direction: 'inbound',
  protocol: 'http/1.1',
  method: 'GET',
  path: '/api/orders?id=7',
  authority: 'orders.shop.svc.cluster.local:8080',
  response_code: 200,
  response_flags: '-',
  error: null,
  bytes_received: 0,
  bytes_sent: 1532,
  duration_ms: 4.127,
  upstream_service_time_ms: 3.802,
  upstream_host: '127.0.0.1:8080',
  downstream_remote_address: '10.244.1.5:51234',
  downstream_local_address: '10.244.2.7:8080',
  peer_identity: 'spiffe://cluster.local/ns/shop/sa/web',
  tls: 'mutual',
  request_id: '2f1c1e0a-7b5e-4a57-9b59-1f6ad2c3f0e4',
  user_agent: 'curl/8.5.0',
  x_forwarded_for: null,
};

/** An outbound opaque TCP connection (PostgreSQL) to a meshed peer. */
export const TCP_RECORD: AccessLogRecord = {
  time: '2025-01-02T03:04:06.001Z',
  direction: 'outbound',
  protocol: 'tcp',
  method: null,
  path: null,
  authority: null,
  response_code: 0,
  response_flags: '-',
  error: null,
  bytes_received: 1200,
  bytes_sent: 64000,
  duration_ms: 30012.5,
  upstream_service_time_ms: null,
  upstream_host: '10.244.3.9:5432',
  downstream_remote_address: '10.244.2.7:43512',
  downstream_local_address: '10.244.3.9:5432',
  peer_identity: 'spiffe://cluster.local/ns/db/sa/postgres',
  tls: 'mutual',
  request_id: null,
  user_agent: null,
  x_forwarded_for: null,
};

/** A proxy-generated error reply: the app did not listen on its port. */
export const ERROR_RECORD: AccessLogRecord = {
  ...HTTP_RECORD,
  response_code: 502,
  response_flags: 'UF',
  error: 'upstream_connect_refused',
  // The proxy's one-line body (forward-http.ts localReply), so the doc's figure follows the description.
  bytes_sent: Buffer.byteLength(`outrigger: upstream_connect_refused: ${ERROR_KINDS.upstream_connect_refused.description}\n`),
  duration_ms: 0.412,
  upstream_service_time_ms: null,
};
