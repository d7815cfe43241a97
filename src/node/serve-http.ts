// serveHttp: any http.Server or https.Server (or net.Server, tls.Server) on
// netpoll connections, with Node's own behaviour. Node's http starts its
// connection tracking (headersTimeout, requestTimeout, closeIdleConnections)
// when the server emits 'listening', and net.Server's close(), address(),
// ref(), listening and getConnections() go through its _handle and
// _connections. serveHttp gives the server a handle over the netpoll
// Listener, emits 'listening', and counts connections as net.Server does,
// so every one of those works unchanged.
import type { Server as NetServer } from 'node:net';
import { Server as TlsServer, type TLSSocket } from 'node:tls';
import type { Conn } from '../net/conn.ts';
import { isClosedError } from '../net/errors.ts';
import { Listener } from '../net/listener.ts';
import type { NodeSocket } from '../net/node-socket.ts';
import { serverConn } from '../netpoll/channels.ts';
import { debug } from '../netpoll/debug.ts';
import { servers, type ServerStatsSource } from '../netpoll/stats.ts';
import { linkTls, rawUnder } from './tls-link.ts';

export interface ServeHttpOptions {
  /** Aborting closes the listener, as server.close() does (connections go on until they end). */
  signal?: AbortSignal;
  /** Bytes asked of the kernel per read (default 64 KiB). */
  chunkSize?: number;
}

/** net.Server's fields that its methods read (they are plain properties on every net.Server). */
interface ServerInternals {
  _handle: unknown;
  _connections: number;
  _unref?: boolean;
  _emitCloseIfDrained(): void;
  maxConnections?: number;
  allowHalfOpen?: boolean;
  pauseOnConnect?: boolean;
  highWaterMark?: number;
}

/** The socket fields net.Server sets on what it accepts (http reads socket.server). */
interface ServerSocket {
  server?: NetServer;
  _server?: NetServer;
}

/** Accept errors that pass: the loop backs off and goes on (Go's http.Server does the same). */
const TEMPORARY = new Set(['EMFILE', 'ENFILE', 'ENOBUFS', 'ENOMEM', 'ECONNABORTED', 'EPERM']);

const linked = new WeakSet<NetServer>();

function addrInfo(l: Listener): { address: string; family: string; port: number } | null {
  const a = l.addr;
  if (a.network !== 'tcp') return null;
  return { address: a.address === '' ? (a.family === 'inet6' ? '::' : '0.0.0.0') : a.address, family: a.family === 'inet6' ? 'IPv6' : 'IPv4', port: a.port };
}

/**
 * Runs `server` on the connections `listener` accepts: instead of
 * server.listen(), the server takes netpoll connections (net.Socket-shaped
 * NodeSockets) and keeps all of Node's behaviour — keepAliveTimeout,
 * headersTimeout, requestTimeout, 'upgrade', close(), closeIdleConnections(),
 * closeAllConnections(), maxConnections, address(), getConnections(). For an
 * https.Server (tls.Server) the TLS layer runs over them, and
 * req.socket.remoteAddress is the netpoll peer's.
 *
 * Resolves once the listener is closed (server.close(), or `signal`), when
 * the server's connections may still be finishing ('close' tells when they
 * have). An accept error that is not temporary is emitted as the server's
 * 'error' and closes it.
 *
 * @example
 * const ln = await listen('tcp', '127.0.0.1:8080');
 * const server = http.createServer((req, res) => res.end(`hi ${req.socket.remoteAddress}\n`));
 * void serveHttp(ln, server);
 * // … later: server.close();
 */
export async function serveHttp(listener: Listener, server: NetServer, opts: ServeHttpOptions = {}): Promise<void> {
  if (!(listener instanceof Listener)) throw new TypeError('netpoll: serveHttp takes a Listener from listen()');
  if (server === null || typeof server !== 'object' || typeof (server as unknown as ServerInternals)._emitCloseIfDrained !== 'function') {
    throw new TypeError('netpoll: serveHttp takes an http.Server, https.Server, net.Server or tls.Server');
  }
  const srv = server as unknown as ServerInternals;
  if (srv._handle) throw Object.assign(new Error('netpoll: the server is already listening'), { code: 'ERR_SERVER_ALREADY_LISTEN' });
  if (listener.closed) throw Object.assign(new Error('netpoll: the listener is closed'), { code: 'ERR_SERVER_NOT_RUNNING' });

  const sockets = new Set<NodeSocket>();
  const sstats: ServerStatsSource = {
    address: listener.addr.toString(),
    connections: () => sockets.size,
    bytesBuffered: () => { let n = 0; for (const s of sockets) n += s.writableLength; return n; },
  };
  const closeListener = (): void => { if (!listener.closed) void listener.close(); };
  // What net.Server's methods call on its handle.
  const handle = {
    close: closeListener,
    getsockname(out: Record<string, unknown>): number {
      const info = addrInfo(listener);
      if (info !== null) Object.assign(out, info);
      return 0;
    },
    ref: () => listener.fd.setRef(true),
    unref: () => listener.fd.setRef(false),
  };
  srv._handle = handle;
  if (srv._unref) handle.unref();
  servers.add(sstats);
  if (server instanceof TlsServer && !linked.has(server)) {
    linked.add(server);
    // Before http's own listener: req.socket.remoteAddress and ref/unref reach the netpoll socket.
    server.prependListener('secureConnection', (tls: TLSSocket) => {
      const raw = rawUnder(tls);
      if (raw !== undefined && sockets.has(raw as NodeSocket)) linkTls(tls, raw as NodeSocket);
    });
  }

  const { signal } = opts;
  if (signal !== undefined) {
    if (signal.aborted) closeListener();
    else signal.addEventListener('abort', closeListener, { once: true });
  }
  // As net.Server, 'listening' comes on the next tick; a connection accepted
  // before it (a microtask can win) emits it first: http's tracking starts there.
  let listened = false;
  const emitListening = (): void => {
    if (listened) return;
    listened = true;
    if (srv._handle === handle) server.emit('listening');
  };
  process.nextTick(emitListening);

  const onConn = (conn: Conn): void => {
    emitListening();
    if (srv.maxConnections && srv._connections >= srv.maxConnections) {
      const r = conn.remoteAddr, l = conn.localAddr;
      void conn.close();
      server.emit('drop', { localAddress: l.address, localPort: l.port, remoteAddress: r.address, remotePort: r.port });
      return;
    }
    const sock = conn.toNodeStream({
      allowHalfOpen: srv.allowHalfOpen ?? false,
      ...(srv.highWaterMark === undefined ? {} : { highWaterMark: srv.highWaterMark }),
      ...(opts.chunkSize === undefined ? {} : { chunkSize: opts.chunkSize }),
    });
    const s = sock as NodeSocket & ServerSocket;
    s.server = server;
    s._server = server;
    srv._connections++;
    sockets.add(sock);
    sock.once('close', () => {
      sockets.delete(sock);
      srv._connections--;
      srv._emitCloseIfDrained();
    });
    if (srv.pauseOnConnect) sock.pause();
    if (serverConn.hasSubscribers) serverConn.publish({ conn, socket: sock, server });
    server.emit('connection', sock);
  };

  let backoff = 0;
  try {
    for (;;) {
      let conn: Conn;
      try {
        conn = await listener.accept();
        backoff = 0;
      } catch (e) {
        if (listener.closed || isClosedError(e)) return;
        const code = (e as { code?: unknown }).code;
        if (typeof code === 'string' && TEMPORARY.has(code)) {
          backoff = backoff === 0 ? 5 : Math.min(backoff * 2, 1000);
          debug('node: serveHttp: accept: %s; retrying in %d ms', code, backoff);
          await new Promise((r) => setTimeout(r, backoff));
          continue;
        }
        closeListener();
        server.emit('error', e);
        return;
      }
      try {
        onConn(conn);
      } catch (e) {
        // A 'connection' listener threw: as with net.Server, that is the application's error.
        process.nextTick(() => { throw e; });
      }
    }
  } finally {
    signal?.removeEventListener('abort', closeListener);
    servers.delete(sstats);
    // Closed by the signal or an error rather than server.close(): the server stops too.
    if (srv._handle === handle) {
      srv._handle = null;
      srv._emitCloseIfDrained();
    }
  }
}
