/// <reference path="./node-gyp-build.d.ts" />
// The original destination of a connection that iptables redirected to the proxy, behind the
// OrigDstResolver interface: the kernel resolver (N-API addon, getsockopt) and a fake for tests.
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import nodeGypBuild from 'node-gyp-build'; // a static import, so that tools/build.ts bundles it

export interface SocketAddress {
  address: string;
  port: number;
  family: 4 | 6;
}

export interface OrigDstResolver {
  /** The destination before REDIRECT; throws (code ENOENT) when the connection was not redirected. */
  resolve(socket: Socket): SocketAddress;
}

interface Binding {
  originalDst(fd: number): SocketAddress;
}

let binding: Binding | undefined;

function loadBinding(): Binding {
  if (!binding) {
    // node-gyp-build finds build/Release/original_dst.node, built by `npm ci` (package install
    // script), under this package (from the sources) or beside the bundle (tools/build.ts).
    const load = nodeGypBuild as (dir: string) => Binding;
    const dir = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));
    try {
      binding = load(dir('..'));
    } catch {
      binding = load(dir('.'));
    }
  }
  return binding;
}

/** The file descriptor of a connected net.Socket (Linux; node keeps it on the libuv handle). */
export function socketFd(socket: Socket): number {
  const fd = (socket as Socket & { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw Object.assign(new Error('socket has no file descriptor'), { code: 'EBADF' });
  return fd;
}

export function createKernelResolver(): OrigDstResolver {
  const { originalDst } = loadBinding();
  return { resolve: (socket) => originalDst(socketFd(socket)) };
}

/** For unit tests: answers from a table keyed by the socket's local port, else throws ENOENT. */
export function createFakeResolver(byLocalPort: ReadonlyMap<number, SocketAddress>): OrigDstResolver {
  return {
    resolve(socket) {
      const found = socket.localPort === undefined ? undefined : byLocalPort.get(socket.localPort);
      if (!found) throw Object.assign(new Error('no original destination (not redirected)'), { code: 'ENOENT' });
      return found;
    },
  };
}
