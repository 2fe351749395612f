// Binding a server: resolves with the bound port (the configured one, or the kernel's pick for
// port 0), rejects with the bind error (EADDRINUSE, EACCES) so start-up can name the listener.
import type { Server } from 'node:net';

export function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(address && typeof address === 'object' ? address.port : port);
    });
  });
}
