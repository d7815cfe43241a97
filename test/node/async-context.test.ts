// AsyncLocalStorage across netpoll: a store set where connections are
// accepted is the one their handlers see, also when a read that parked
// resumes from the poller (OpenTelemetry keeps its spans this way). serveHttp's
// case is in http.test.ts.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { once } from 'node:events';
import net from 'node:net';
import { listen, serve, type ServeConn } from '../../src/net/index.ts';
import { backendCases } from '../helpers/backends.ts';

const als = new AsyncLocalStorage<string>();

/** A client that connects, waits until told, then sends `msg` and ends. */
async function lateClient(port: number, go: Promise<void>, msg: string): Promise<void> {
  const c = net.connect(port, '127.0.0.1');
  await once(c, 'connect');
  await go;
  c.end(msg);
  await once(c, 'close');
}

for (const { backend, skip, make } of backendCases) {
  describe(`AsyncLocalStorage (${backend})`, { skip: skip ?? false }, () => {
    test('serve(): each server\'s handlers see the store set around it, after parked reads resume from one drain', async () => {
      const np = make();
      const seen: Record<string, string[]> = { a: [], b: [] };
      let connected = 0;
      let allParked!: () => void;
      const parked = new Promise<void>((r) => { allParked = r; });
      const handler = (name: 'a' | 'b') => ({
        onConnect() {
          seen[name]!.push(`connect:${String(als.getStore())}`);
          // Both connections read nothing yet: their reads park on the poller.
          if (++connected === 2) setTimeout(allParked, 20);
        },
        onData(_c: ServeConn, chunk: Uint8Array) { seen[name]!.push(`data:${String(als.getStore())}:${Buffer.from(chunk).toString()}`); },
        onEnd(c: ServeConn) { seen[name]!.push(`end:${String(als.getStore())}`); c.close(); },
        onClose() { seen[name]!.push(`close:${String(als.getStore())}`); },
      });
      const lnA = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      const lnB = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      const doneA = als.run('store-a', () => serve(lnA, handler('a')));
      const doneB = als.run('store-b', () => serve(lnB, handler('b')));
      // Outside both stores: what the handlers see can only come from the accept.
      await als.run('client', () => Promise.all([lateClient(lnA.addr.port, parked, 'x'), lateClient(lnB.addr.port, parked, 'y')]));
      assert.deepEqual(seen.a, ['connect:store-a', 'data:store-a:x', 'end:store-a', 'close:store-a']);
      assert.deepEqual(seen.b, ['connect:store-b', 'data:store-b:y', 'end:store-b', 'close:store-b']);
      await lnA.close(); await lnB.close();
      await doneA; await doneB;
      np.shutdown();
    });

    test('a Conn: the store set where it was accepted is there after its parked read resumes', async () => {
      const np = make();
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      let go!: () => void;
      const later = new Promise<void>((r) => { go = r; });
      const server = als.run('accepted', async () => {
        const conn = await ln.accept();
        setTimeout(go, 20); // the read below parks before the client sends
        const buf = new Uint8Array(16);
        const n = await conn.read(buf);
        const store = als.getStore();
        await conn.close();
        return { n, store };
      });
      await lateClient(ln.addr.port, later, 'hello');
      assert.deepEqual(await server, { n: 5, store: 'accepted' });
      await ln.close();
      np.shutdown();
    });
  });
}
