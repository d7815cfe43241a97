// Net-layer fixtures (Go's mockserver_test.go): connected pairs, an echo
// loop, a writer that fills the socket until it blocks.
import { dial, listen, type Conn, type Listener, type OpError } from '../../src/net/index.ts';
import type { Netpoll } from '../../src/netpoll/index.ts';
import { settledWithin } from './async.ts';

/** A listener, a dialed client and its accepted server end. */
export async function connectedPair(np: Netpoll, network: 'tcp' | 'tcp4' | 'tcp6' | 'unix' = 'tcp', address = '127.0.0.1:0'):
    Promise<{ ln: Listener; client: Conn; server: Conn; closeAll(): Promise<void> }> {
  const ln = await listen(network, address, { netpoll: np });
  const [client, server] = await Promise.all([dial(network, String(ln.addr), { netpoll: np }), ln.accept()]);
  return {
    ln, client, server,
    async closeAll() {
      for (const x of [client, server, ln]) if (!x.closed) await x.close();
    },
  };
}

/** Echoes until EOF, then half-closes; its own buffer per connection. */
export async function echo(conn: Conn, bufSize = 64 * 1024): Promise<number> {
  const buf = new Uint8Array(bufSize);
  let total = 0;
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    await conn.write(buf, 0, n);
    total += n;
  }
  conn.closeWrite();
  return total;
}

/** Fills the socket's send path until a write of chunk parks; returns bytes written. */
export async function fillUntilBlocked(conn: Conn, chunk = new Uint8Array(1 << 16)): Promise<number> {
  let total = 0;
  for (;;) {
    const r = await settledWithin(conn.write(chunk), 50);
    if (r === 'pending') return total;
    if ('error' in r) throw r.error;
    total += chunk.length;
  }
}

/** Reads exactly n bytes (or fails at EOF). */
export async function readFull(conn: Conn, n: number): Promise<Uint8Array> {
  const buf = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const r = await conn.read(buf, got, n - got);
    if (r === null) throw new Error(`EOF after ${got} of ${n} bytes`);
    got += r;
  }
  return buf;
}

/** A listener whose accept queue is full, so the next SYN is dropped and a dial hangs. */
export async function fullBacklog(np: Netpoll, address = '127.0.0.1:0'): Promise<{ ln: Listener; conns: Conn[]; close(): Promise<void> }> {
  const ln = await listen('tcp', address, { netpoll: np, backlog: 0 });
  const conns: Conn[] = [];
  for (let i = 0; i < 16; i++) {
    try {
      conns.push(await dial('tcp', String(ln.addr), { netpoll: np, timeout: 100 }));
    } catch (e) {
      if ((e as OpError).code === 'ETIMEDOUT') break;
      throw e;
    }
  }
  return { ln, conns, async close() { for (const c of conns) await c.close(); await ln.close(); } };
}
