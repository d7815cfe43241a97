// Three edges of the read/write API, as Go and Node have them:
// - every ArrayBufferView is read into and written from as its bytes (Go's
//   []byte; offset and length in bytes, as Node's fs.read), whether the
//   operation completes at once or parks first;
// - an already-aborted signal rejects read, write, writev, accept, waitRead
//   and waitWrite before they do anything (a cancelled context fails
//   before the call, in Go), even when they could complete at once;
// - waitRead/waitWrite on a descriptor outside the poller fail with Go's
//   "waiting for unsupported file type" (pollDesc.wait: ErrNoDeadline /
//   "waiting for unsupported file type" when pd.runtimeCtx == 0).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FD } from '../../src/fd/index.ts';
import { NotPollableError } from '../../src/netpoll/index.ts';
import { dial, OpError } from '../../src/net/index.ts';
import { setNonblock } from '../../src/sys/descriptors.ts';
import { settledWithin, sleep } from '../helpers/async.ts';
import { backendCases } from '../helpers/backends.ts';
import { pipe } from '../helpers/fds.ts';
import { connectedPair } from '../helpers/net.ts';

/** Reads exactly n bytes. */
async function readN(conn: { read(b: Uint8Array): Promise<number | null> }, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const k = await conn.read(out.subarray(got));
    if (k === null) throw new Error(`EOF after ${got} of ${n} bytes`);
    got += k;
  }
  return out;
}

for (const { backend, skip, make } of backendCases) {
  describe(`views, aborted signals, blocking descriptors (${backend})`, { skip: skip ?? false }, () => {
    test('read into an Int32Array, a Float64Array and a DataView: at once or after parking, offset and length in bytes', async () => {
      const np = make();
      const { client, server, closeAll } = await connectedPair(np);
      try {
        // Data already there.
        await client.write(Uint8Array.of(1, 0, 0, 0, 2, 0, 0, 0));
        await sleep(10);
        const i32 = new Int32Array(4);
        assert.equal(await server.read(i32), 8);
        assert.deepEqual([...i32], [1, 2, 0, 0]);

        // Parked first: the bytes arrive later.
        const parked = new Int32Array(4);
        const r = server.read(parked, 4, 8);
        assert.equal(await settledWithin(r, 20), 'pending');
        await client.write(Uint8Array.of(7, 0, 0, 0, 9, 0, 0, 0));
        assert.equal(await r, 8);
        assert.deepEqual([...parked], [0, 7, 9, 0]);

        const f64 = new Float64Array(1);
        const dv = new DataView(new ArrayBuffer(12), 4, 8);
        const pf = server.read(f64);
        await client.write(new Float64Array([Math.PI]));
        assert.equal(await pf, 8);
        assert.equal(f64[0], Math.PI);
        const pd = server.read(dv);
        await client.write(Uint8Array.of(0xde, 0xad, 0xbe, 0xef));
        assert.equal(await pd, 4);
        assert.equal(dv.getUint32(0), 0xdeadbeef);
      } finally { await closeAll(); np.shutdown(); }
    });

    test('a large write from an Int32Array sends every byte (none lost after the first park); writev takes any views', async () => {
      const np = make();
      const { client, server, closeAll } = await connectedPair(np);
      try {
        const big = new Int32Array(2 * 1024 * 1024);   // 8 MB: the write parks many times
        for (let i = 0; i < big.length; i++) big[i] = i;
        const reading = readN(server, big.byteLength);
        assert.equal(await client.write(big), big.byteLength);
        const got = new Int32Array((await reading).buffer);
        assert.equal(got.length, big.length);
        for (let i = 0; i < got.length; i += 4099) assert.equal(got[i], i);
        assert.equal(got[got.length - 1], big.length - 1);

        const parts = [new Uint16Array([0x0201, 0x0403]), new DataView(Uint8Array.of(5, 6).buffer), Buffer.from([7])];
        assert.equal(await client.writev(parts), 7);
        assert.deepEqual([...await readN(server, 7)], [1, 2, 3, 4, 5, 6, 7]);
        // Anything that is not a view is refused up front, with nothing sent.
        await assert.rejects(client.writev([Uint8Array.of(1), [2] as unknown as Uint8Array]), (e) => {
          const cause = e instanceof OpError ? e.cause : e;
          return cause instanceof TypeError && (e as { bytesWritten?: number }).bytesWritten === 0;
        });
        await assert.rejects(client.write([1, 2] as unknown as Uint8Array), TypeError);
      } finally { await closeAll(); np.shutdown(); }
    });

    test('an already-aborted signal rejects read, write, writev, accept, waitRead and waitWrite with its reason before doing anything', async () => {
      const np = make();
      const { ln, client, server, closeAll } = await connectedPair(np);
      const extra = await dial('tcp', String(ln.addr), { netpoll: np });
      try {
        const ac = new AbortController();
        const reason = new Error('cancelled');
        ac.abort(reason);
        await client.write(Uint8Array.of(1, 2, 3));
        await sleep(10);   // data waits to be read, a connection to be accepted, the send buffer has room
        const is = (e: unknown): boolean => e === reason;
        await assert.rejects(server.read(new Uint8Array(8), 0, 8, ac.signal), is);
        await assert.rejects(server.readChunk(64, ac.signal), is);
        await assert.rejects(client.write(Uint8Array.of(9), 0, 1, ac.signal), is);
        await assert.rejects(client.writev([Uint8Array.of(9), Uint8Array.of(9)], ac.signal), is);
        await assert.rejects(ln.accept(ac.signal), is);
        await assert.rejects(server.fd.waitRead(ac.signal), is);
        await assert.rejects(client.fd.waitWrite(ac.signal), is);
        // Nothing was consumed and nothing went out: the data is intact, and the peer sees no 9.
        assert.deepEqual([...await readN(server, 3)], [1, 2, 3]);
        await client.write(Uint8Array.of(4));
        assert.deepEqual([...await readN(server, 1)], [4]);
        const s2 = await ln.accept();   // the pending connection is still there
        await s2.close();
        // Something that is not an AbortSignal is refused up front (a parked op would listen on it).
        for (const bad of [{}, 'sig', 5]) {
          await assert.rejects(server.read(new Int32Array(2), 0, 8, bad as unknown as AbortSignal), TypeError);
          await assert.rejects(client.write(Uint8Array.of(1), 0, 1, bad as unknown as AbortSignal), TypeError);
        }
        await client.write(Uint8Array.of(5));
        assert.deepEqual([...await readN(server, 1)], [5], 'the poller still works');
      } finally { await extra.close(); await closeAll(); np.shutdown(); }
    });
  });
}

describe('waiting on a blocking-mode descriptor', () => {
  test('waitRead and waitWrite reject with Go\'s "waiting for unsupported file type", ready or not', async () => {
    const [r, w] = pipe();
    setNonblock(r, false);
    setNonblock(w, false);
    const fr = new FD(r, { pollable: false });
    const fw = new FD(w, { pollable: false });
    try {
      assert.equal(fr.isBlocking, true);
      const unsupported = (e: unknown): boolean => e instanceof NotPollableError && e.message === 'waiting for unsupported file type';
      await assert.rejects(fr.waitRead(), unsupported);   // nothing to read
      await assert.rejects(fw.waitWrite(), unsupported);  // writable, still refused
    } finally {
      await fr.close(); await fw.close();
    }
  });
});
