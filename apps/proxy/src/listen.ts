// Binding a server: resolves with the bound port (the configured one, or the kernel's pick for
// port 0), rejects with the bind error (EADDRINUSE, EACCES) so start-up can name the listener.
import type { Server } from 'node:net';

/**
 * `reusePort` (SO_REUSEPORT, Linux): a new proxy can bind the same port while the old one drains,
 * so a restarted sidecar takes over without a window in which connections are refused.
 */
export function listen(server: Server, host: string, port: number, reusePort = false): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // A deeper accept queue than node's 511 absorbs connection bursts (capped by net.core.somaxconn).
    server.listen({ host, port, reusePort: reusePort && port !== 0, backlog: 4096 }, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(address && typeof address === 'object' ? address.port : port);
    });
  });
}
