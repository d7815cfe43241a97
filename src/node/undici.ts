// undici's Agent/Client/Pool take `connect` as a function (opts, callback)
// that hands back a connected socket (undici/lib/dispatcher/client.js calls
// it with { hostname, host, protocol, port, servername, localAddress } and
// reads the socket as a stream: read(), write(), cork(), ref/unref). This
// makes that function over netpoll dials; undici stays the caller's
// dependency, not ours.
import type { ConnectionOptions } from 'node:tls';
import type { Duplex } from 'node:stream';
import { connectSocket, connectTls, type DialSocketOptions } from './client.ts';

/** What undici passes to its connector. */
export interface UndiciConnectParams {
  hostname: string;
  host?: string;
  protocol: string;
  port: string | number;
  servername?: string | null;
  localAddress?: string | null;
  socketPath?: string | null;
}

/** undici's callback shape: an error, or a connected socket. */
export type UndiciConnectCallback = (...args: [Error, null] | [null, Duplex]) => void;
export type UndiciConnector = (params: UndiciConnectParams, callback: UndiciConnectCallback) => void;

export interface UndiciConnectOptions extends DialSocketOptions {
  /** TLS options for https origins (ca, cert, rejectUnauthorized, …). */
  tls?: ConnectionOptions;
}

/**
 * A `connect` function for undici's `new Agent({ connect })` (or Client,
 * Pool): undici's requests go over netpoll connections; https origins get
 * Node's TLS on top (ALPN http/1.1).
 *
 * @example
 * import { Agent, request } from 'undici';
 * const dispatcher = new Agent({ connect: undiciConnect() });
 * const { body } = await request('http://127.0.0.1:8080/', { dispatcher });
 */
export function undiciConnect(opts: UndiciConnectOptions = {}): UndiciConnector {
  return (params, callback) => {
    let done = false;
    const finish = (err: Error | null, s: Duplex | null): void => {
      if (done) return;
      done = true;
      if (err !== null) callback(err, null); else callback(null, s!);
    };
    const secure = params.protocol === 'https:';
    const raw = connectSocket({
      hostname: params.hostname,
      port: params.port === '' ? undefined : params.port,
      socketPath: params.socketPath ?? undefined,
      localAddress: params.localAddress ?? undefined,
    }, opts, secure ? 443 : 80);
    if (!secure) {
      raw.once('connect', () => finish(null, raw));
      raw.once('error', (e) => finish(e, null));
      return;
    }
    const t = connectTls(raw, {
      ALPNProtocols: ['http/1.1'],
      ...(params.servername ? { servername: params.servername } : {}),
      ...opts.tls,
    });
    t.once('secureConnect', () => finish(null, t));
    t.once('error', (e) => finish(e, null));
  };
}
