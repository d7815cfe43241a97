// diagnostics_channel names, module-prefixed and dotted as Node core's are
// (http.server.request.start, net.client.socket). A publisher checks
// hasSubscribers first: nobody listening costs one property read.
// NODE_DEBUG=netpoll subscribes a logger to them (undici's pattern).
import dc from 'node:diagnostics_channel';
import { debuglog, inspect } from 'node:util';

/** A connection accepted by serveHttp (`{ conn, socket, server }`) or serve() (`{ conn }`, a ServeConn). */
export const serverConn = dc.channel('netpoll.server.conn');
/** A connection dialled for a client (NetpollAgent, undiciConnect): `{ conn, socket }`. */
export const clientConn = dc.channel('netpoll.client.conn');
/** dial(): tracing:netpoll.dial:start/end/asyncStart/asyncEnd/error, context `{ network, address }` (+ result or error). */
export const dialTrace = dc.tracingChannel('netpoll.dial');
/** listen(): tracing:netpoll.listen:*, context `{ network, address }` (+ result or error). */
export const listenTrace = dc.tracingChannel('netpoll.listen');
/** A deadline expired: `{ fd, read, write }` (which directions it expired). */
export const deadlineFired = dc.channel('netpoll.deadline.fired');
/** One readiness drain finished: `{ backend, polls, events }`. */
export const pollerDrained = dc.channel('netpoll.poller.drained');

/** The channel names, for subscribers (also listed in README's API page). */
export const CHANNELS = {
  serverConn: 'netpoll.server.conn',
  clientConn: 'netpoll.client.conn',
  dial: 'tracing:netpoll.dial:*',
  listen: 'tracing:netpoll.listen:*',
  deadlineFired: 'netpoll.deadline.fired',
  pollerDrained: 'netpoll.poller.drained',
} as const;

interface Traced { network?: string; address?: string; result?: unknown; error?: unknown }

const log = debuglog('netpoll');
if (log.enabled) {
  const brief = (v: unknown): string => inspect(v, { depth: 0, breakLength: Infinity });
  serverConn.subscribe((m) => log('server conn %s', brief((m as { conn: unknown }).conn)));
  clientConn.subscribe((m) => log('client conn %s', brief((m as { conn: unknown }).conn)));
  deadlineFired.subscribe((m) => { const d = m as { fd: number; read: boolean; write: boolean }; log('deadline fired fd %d%s%s', d.fd, d.read ? ' read' : '', d.write ? ' write' : ''); });
  pollerDrained.subscribe((m) => { const d = m as { backend: string; polls: number; events: number }; log('poller %s drained: %d events in %d polls', d.backend, d.events, d.polls); });
  for (const [name, ch] of [['dial', dialTrace], ['listen', listenTrace]] as const) {
    ch.subscribe({
      start: (c) => { const t = c as Traced; log('%s %s %s', name, t.network, t.address); },
      end: () => {},
      asyncStart: (c) => { const t = c as Traced; if (t.error === undefined) log('%s %s %s: %s', name, t.network, t.address, brief(t.result)); },
      asyncEnd: () => {},
      error: (c) => { const t = c as Traced; log('%s %s %s failed: %s', name, t.network, t.address, (t.error as Error)?.message ?? String(t.error)); },
    });
  }
}
