// Shared by the net tests: one Netpoll per backend, connected pairs, an echo loop.
import { Netpoll } from '../../src/netpoll/index.ts';
import type { Backend } from '../../src/poller/types.ts';
import { backends as allBackends } from '../helpers/backends.ts';
import { dial, listen, type Conn, type Listener } from '../../src/net/index.ts';

export interface BackendCase {
  backend: Backend;
  /** Why this backend cannot run here, or null. */
  skip: string | null;
  make(): Netpoll;
}

export const backends: BackendCase[] = allBackends.map((backend) => {
  let skip: string | null = null;
  try {
    new Netpoll({ backend }).shutdown();
  } catch (e) {
    skip = `${backend} backend unavailable: ${(e as Error).message}`;
  }
  return { backend, skip, make: () => new Netpoll({ backend }) };
});

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

/** Resolves to 'pending' if p has not settled after ms. */
export function settledWithin<T>(p: Promise<T>, ms: number): Promise<'pending' | { value: T } | { error: unknown }> {
  return Promise.race([
    p.then((value) => ({ value }), (error: unknown) => ({ error })),
    new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms)),
  ]);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

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

export { dial, listen };
