// Mesh and proxy configuration: the schema and pure parser, and the loader that reads files.
export { proxyConfigSchema, TLS_MODES, PROTOCOLS, UPSTREAM_MODES, INBOUND_MODES, DEFAULT_OPAQUE_PORTS } from './schema.ts';
export type { ProxyConfig, ListenerConfig, TlsMode, ListenerProtocol, TransparentConfig, UpstreamMode, InboundMode, MeshConfig, IdentityConfig, FilesIdentityConfig, CaIdentityConfig } from './schema.ts';
export { parseProxyConfig, formatKeyPath } from './parse-config.ts';
export type { ConfigParse } from './parse-config.ts';
export { parseDuration } from './parse-duration.ts';
export { loadProxyConfig, ConfigError } from './load-config.ts';
