// Client connections on netpoll for Node's http/https Agents and undici: a
// socket returned at once that connects later, as net.connect's does.
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { joinHostPort } from '../net/addr.ts';
import type { Conn } from '../net/conn.ts';
import { dial } from '../net/dial.ts';
import { NodeSocket } from '../net/node-socket.ts';
import type { Netpoll } from '../netpoll/netpoll.ts';
import { clientConn } from '../netpoll/channels.ts';
import { linkTls } from './tls-link.ts';

/** Where to connect, in the shape http.request and net.connect take it. */
export interface ConnectTarget {
  host?: string | null | undefined;
  hostname?: string | null | undefined;
  port?: number | string | null | undefined;
  /** A Unix socket path (http's socketPath arrives as `path`). */
  path?: string | null | undefined;
  socketPath?: string | null | undefined;
  localAddress?: string | null | undefined;
  /** Idle timeout set on the socket (net.connect's `timeout`). */
  timeout?: number | undefined;
}

export interface DialSocketOptions {
  /** The Netpoll to dial on (default Netpoll.current()). */
  netpoll?: Netpoll | undefined;
  /** Milliseconds for the dial itself (Go's Dialer.Timeout); none by default. */
  dialTimeout?: number | undefined;
}

function hostOf(t: ConnectTarget): string {
  let h = t.hostname ?? t.host ?? 'localhost';
  // URL hostnames keep IPv6 brackets.
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  return h;
}

/** The dial() arguments for a target: a Unix path, or host:port. */
export function dialArgs(t: ConnectTarget, defaultPort: number): ['unix' | 'tcp', string] {
  const path = t.socketPath ?? t.path;
  // http passes the request path as `path` too; only socketPath-style absolute socket files count.
  if (typeof t.socketPath === 'string' && t.socketPath !== '') return ['unix', t.socketPath];
  if (path !== undefined && path !== null && t.host === undefined && t.hostname === undefined && t.port === undefined) return ['unix', path];
  const port = t.port === undefined || t.port === null || t.port === '' ? defaultPort : Number(t.port);
  return ['tcp', joinHostPort(hostOf(t), String(port))];
}

/**
 * A net.Socket-shaped NodeSocket for `target`, returned at once: pending and
 * connecting until netpoll's dial completes ('connect', then 'ready'), or
 * destroyed with the dial's error. net.connect's counterpart.
 *
 * @example
 * const sock = connectSocket({ host: '127.0.0.1', port: 8080 });
 * sock.on('connect', () => sock.end('hello'));
 */
export function connectSocket(target: ConnectTarget, opts: DialSocketOptions = {}, defaultPort = 80): NodeSocket {
  const [network, address] = dialArgs(target, defaultPort);
  const sock = NodeSocket.connecting(async (signal, dialing) => {
    const conn: Conn = await dial(network, address, {
      signal,
      onFD: dialing,
      ...(target.localAddress ? { localAddress: target.localAddress } : {}),
      ...(opts.netpoll ? { netpoll: opts.netpoll } : {}),
      ...(opts.dialTimeout ? { timeout: opts.dialTimeout } : {}),
    });
    if (clientConn.hasSubscribers) clientConn.publish({ conn, socket: sock });
    return conn;
  });
  if (typeof target.timeout === 'number' && target.timeout > 0) sock.setTimeout(target.timeout);
  return sock;
}

/** TLS over a netpoll socket (tls.connect's `socket` option), with its addresses and ref/unref linked. */
export function connectTls(raw: NodeSocket, options: ConnectionOptions): TLSSocket {
  const t = tlsConnect({ ...options, socket: raw });
  if (raw.connecting) raw.once('connect', () => linkTls(t, raw));
  else linkTls(t, raw);
  return t;
}
