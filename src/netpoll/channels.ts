// diagnostics_channel names, module-prefixed and dotted as Node core's are
// (http.server.request.start, net.client.socket). A publisher checks
// hasSubscribers first: nobody listening costs one property read.
import dc from 'node:diagnostics_channel';

/** A connection accepted by serveHttp (or serve()): `{ conn, socket?, server? }`. */
export const serverConn = dc.channel('netpoll.server.conn');
/** A connection dialled for a client (the Agent, undici's connect): `{ conn, socket? }`. */
export const clientConn = dc.channel('netpoll.client.conn');
/** dial(): tracing:netpoll.dial:start/end/asyncStart/asyncEnd/error with `{ network, address }` (+ result/error). */
export const dialTrace = dc.tracingChannel('netpoll.dial');
/** listen(): tracing:netpoll.listen:* with `{ network, address }` (+ result/error). */
export const listenTrace = dc.tracingChannel('netpoll.listen');
/** A deadline expired: `{ fd, read, write }`. */
export const deadlineFired = dc.channel('netpoll.deadline.fired');
/** One readiness drain finished: `{ backend, polls, events }`. */
export const pollerDrained = dc.channel('netpoll.poller.drained');
