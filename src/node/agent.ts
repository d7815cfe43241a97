// http.Agent and https.Agent whose connections are netpoll dials: every
// http.request / https.request (and every library that takes an agent)
// through them runs on netpoll, with the Agent's own keep-alive pooling.
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { connectSocket, connectTls, type ConnectTarget, type DialSocketOptions } from './client.ts';

export interface NetpollAgentOptions extends http.AgentOptions, DialSocketOptions {}
export interface NetpollHttpsAgentOptions extends https.AgentOptions, DialSocketOptions {}

/**
 * An http.Agent that connects with netpoll. Pooling, keepAlive, maxSockets
 * and timeouts are the Agent's own.
 *
 * @example
 * const agent = new NetpollAgent({ keepAlive: true });
 * http.get('http://127.0.0.1:8080/', { agent }, (res) => res.resume());
 */
export class NetpollAgent extends http.Agent {
  constructor(opts: NetpollAgentOptions = {}) { super(opts); }

  // The Agent hands its own options (netpoll, dialTimeout) to createConnection with each request's.
  override createConnection(options: http.ClientRequestArgs): Duplex {
    return connectSocket(options as ConnectTarget, options as DialSocketOptions, 80);
  }
}

/** https.Agent's TLS session cache (undocumented methods every https.Agent has). */
interface SessionCache {
  _getSession(key: string): Buffer | undefined;
  _cacheSession(key: string, session: Buffer): void;
  _evictSession(key: string): void;
}

/**
 * An https.Agent that connects with netpoll and runs Node's TLS over the
 * connection; TLS sessions are cached and resumed as https.Agent does.
 *
 * @example
 * const agent = new NetpollHttpsAgent({ keepAlive: true, ca });
 * https.get('https://localhost:8443/', { agent }, (res) => res.resume());
 */
export class NetpollHttpsAgent extends https.Agent {
  constructor(opts: NetpollHttpsAgentOptions = {}) { super(opts); }

  override createConnection(options: https.RequestOptions): Duplex {
    const o = options as https.RequestOptions & { _agentKey?: string };
    const cache = this as unknown as SessionCache;
    const key = o._agentKey;
    const session = key ? cache._getSession(key) : undefined;
    const raw = connectSocket(options as ConnectTarget, options as DialSocketOptions, 443);
    const t: TLSSocket = connectTls(raw, { ...(session ? { session } : {}), ...(options as object) });
    if (key) {
      t.on('session', (s: Buffer) => cache._cacheSession(key, s));
      t.once('close', (hadError: boolean) => { if (hadError) cache._evictSession(key); });
    }
    return t;
  }
}
