// Mesh and proxy configuration: the schema and pure parser, the loader that reads files, and the
// watchers that follow a config directory or URL (used by the proxy and outrigger-config-watcher).
export { proxyConfigSchema, TLS_MODES, PROTOCOLS, UPSTREAM_MODES, INBOUND_MODES, DEFAULT_OPAQUE_PORTS, DEFAULT_TLS_GROUPS } from './schema.ts';
export type { ProxyConfig, ListenerConfig, TlsMode, ListenerProtocol, TransparentConfig, UpstreamMode, InboundMode, MeshConfig, IdentityConfig, FilesIdentityConfig, CaIdentityConfig } from './schema.ts';
export { parseProxyConfig, formatKeyPath, editDistance } from './parse-config.ts';
export type { ConfigParse } from './parse-config.ts';
export { parseDuration } from './parse-duration.ts';
export { loadProxyConfig, ConfigError } from './load-config.ts';
// Config sources watched for changes: a directory (ConfigMap/Secret volume aware) and an HTTP(S) URL.
export { watchDirectory, DEFAULT_DEBOUNCE_MS, DEFAULT_POLL_MS } from './watch-directory.ts';
export type { DirectoryWatchOptions } from './watch-directory.ts';
export { watchUrl, DEFAULT_URL_POLL_MS, DEFAULT_URL_TIMEOUT_MS } from './watch-url.ts';
export type { UrlWatchOptions, PollResult } from './watch-url.ts';
export type { ConfigWatch, WatchOptions } from './watch-delivery.ts';
export { loadDirectorySnapshot, DEFAULT_MAX_SNAPSHOT_BYTES } from './load-directory.ts';
export type { DirectoryReadOptions } from './load-directory.ts';
export { loadUrl } from './load-url.ts';
export type { UrlTlsOptions, UrlRequestOptions, UrlResponse } from './load-url.ts';
export { isVisibleName, planSnapshot, planDiff, renderDiffSummary } from './plan-snapshot.ts';
export type { ConfigSnapshot, SnapshotDiff, FileChange, FileLines } from './plan-snapshot.ts';
export { planBackoff, DEFAULT_BACKOFF } from './plan-backoff.ts';
export type { BackoffPolicy } from './plan-backoff.ts';
export { parseValidators, planConditionalHeaders, parseRequestErrorKind, parseUrlFileName, renderSafeUrl } from './plan-http-poll.ts';
export type { HttpValidators } from './plan-http-poll.ts';
export { SourceError, SOURCE_ERROR_KINDS } from './source-error.ts';
export type { SourceErrorKind } from './source-error.ts';
