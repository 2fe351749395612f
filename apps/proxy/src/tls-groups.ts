// tls.groups against the OpenSSL node was built with: names it does not know are a config error
// (at start, with --check, and on reload), not a failure of the first handshake.
import tls from 'node:tls';
import type { ProxyConfig } from '@outrigger/config';

/** The problem with `config.tls.groups`, or null when OpenSSL takes them all. */
export function tlsGroupsProblem(config: ProxyConfig): string | null {
  const groups = config.tls.groups;
  const unknown = groups.filter((group) => {
    try {
      tls.createSecureContext({ ecdhCurve: group });
      return false;
    } catch {
      return true;
    }
  });
  return unknown.length ? `tls.groups: this OpenSSL (${process.versions.openssl}) does not know ${unknown.join(', ')}` : null;
}

/** Every TLS context made after this (identities, terminators, the CA client) uses the groups. */
export function applyTlsGroups(config: ProxyConfig): void {
  tls.DEFAULT_ECDH_CURVE = config.tls.groups.join(':');
}
