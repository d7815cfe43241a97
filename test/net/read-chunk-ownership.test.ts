// A chunk from readChunk() is the caller's own memory: whatever netpoll does
// to make chunks cheaper (a shared read buffer, a pool slab, handing the read
// buffer itself over), no later read, on any connection, may write into a
// chunk the caller still holds, and garbage collections in between change
// nothing. A large chunk's .buffer can be transferred to another thread,
// which then owns those bytes while this thread keeps reading.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { backendCases } from '../helpers/backends.ts';
import { connectedPair } from '../helpers/net.ts';

// A full collection on demand without starting the test process with --expose-gc.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

// Small (pool slab), partial large (a copy of its own), a full default read (the read buffer itself), larger than the default.
const SIZES = [3, 4096, 5000, 16 * 1024, 64 * 1024, 100_000];

/** Reads exactly n bytes as chunks, each checked to hold only `value`. */
async function chunksOf(conn: { readChunk(max?: number): Promise<Uint8Array | null> }, n: number, value: number, max?: number): Promise<Uint8Array[]> {
  const got: Uint8Array[] = [];
  for (let left = n; left > 0;) {
    const c = await conn.readChunk(max);
    assert.ok(c !== null, 'no EOF before the message ends');
    assert.ok(c.every((x) => x === value), 'a chunk holds only its own message\'s bytes');
    got.push(c);
    left -= c.byteLength;
  }
  return got;
}

for (const { backend, skip, make } of backendCases) {
  describe(`readChunk chunks are the caller's own memory (${backend})`, { skip: skip ?? false }, () => {
    test('chunks kept across hundreds of later reads on two connections and full collections keep their bytes', async () => {
      const np = make();
      const a = await connectedPair(np);
      const b = await connectedPair(np);
      const kept: Array<{ chunk: Uint8Array; value: number; length: number }> = [];
      try {
        for (let i = 0; i < 240; i++) {
          const conn = i % 2 === 0 ? a : b;
          const size = SIZES[i % SIZES.length]!;
          const value = (i % 250) + 1;
          const max = size > 64 * 1024 ? 1 << 20 : undefined;
          const [chunks] = await Promise.all([chunksOf(conn.server, size, value, max), conn.client.write(new Uint8Array(size).fill(value))]);
          // Keep one in four messages; the rest is garbage for the collections below.
          if (i % 4 === 0) for (const chunk of chunks) kept.push({ chunk, value, length: chunk.byteLength });
          if (i % 30 === 29) gc();
        }
        gc();
        assert.ok(kept.length >= 60);
        for (const [k, { chunk, value, length }] of kept.entries()) {
          assert.equal(chunk.byteLength, length, `kept chunk ${k} was not detached or resized`);
          assert.ok(chunk.every((x) => x === value), `kept chunk ${k} (${length} B) still holds its own bytes`);
        }
      } finally {
        await a.closeAll(); await b.closeAll(); np.shutdown();
      }
    });

    test('small chunks of every length hold exactly the bytes sent, and the slab\'s padding after each stays zero', async () => {
      const np = make();
      const a = await connectedPair(np);
      try {
        const filler = new Uint8Array(5000).fill(0xff);
        for (let n = 1; n <= 300; n++) {
          // The read buffer first holds 0xff past n: a copy of more than n bytes would carry some along.
          await Promise.all([chunksOf(a.server, filler.length, 0xff), a.client.write(filler)]);
          // Position-dependent bytes: a word copied from the wrong place or a tail byte lost shows.
          const sent = Uint8Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff);
          const [c] = await Promise.all([a.server.readChunk(), a.client.write(sent)]);
          assert.ok(c !== null);
          assert.deepEqual(c, sent, `a ${n}-byte chunk`);
          // Pool chunks are 8-aligned: the bytes up to the next chunk belong to nobody and must not hold read-buffer leftovers.
          const pad = ((n + 7) & ~7) - n;
          assert.ok(new Uint8Array(c.buffer, c.byteOffset + n, pad).every((x) => x === 0), `the padding after a ${n}-byte chunk`);
        }
      } finally {
        await a.closeAll(); np.shutdown();
      }
    });

    test('a large chunk\'s .buffer transferred to a worker stays intact there while this thread keeps reading', async () => {
      const np = make();
      const a = await connectedPair(np);
      // The worker holds each buffer until told to check it, then reports whether every byte is still its value.
      const worker = new Worker(`
        const { parentPort } = require('node:worker_threads');
        const held = [];
        parentPort.on('message', (m) => {
          if (m.check) parentPort.postMessage(held.map(({ bytes, value }) => bytes.byteLength > 0 && bytes.every((x) => x === value)));
          else held.push({ bytes: new Uint8Array(m.buffer, m.offset, m.length), value: m.value });
        });`, { eval: true });
      try {
        let sent = 0;
        for (let i = 0; i < 24; i++) {
          const size = [5000, 16 * 1024, 64 * 1024][i % 3]!;
          const value = i + 1;
          const [chunks] = await Promise.all([chunksOf(a.server, size, value), a.client.write(new Uint8Array(size).fill(value))]);
          const c = chunks[0]!;
          if (c.byteLength <= 4096) continue; // a small chunk's slab is copied, not moved (read-chunk-transfer.test.ts)
          worker.postMessage({ buffer: c.buffer, offset: c.byteOffset, length: c.byteLength, value }, [c.buffer as ArrayBuffer]);
          sent++;
          if (i % 8 === 7) gc();
        }
        // More reads of every size after the transfers, then the worker checks what it holds.
        for (let i = 0; i < 30; i++) {
          const size = SIZES[i % SIZES.length]!;
          const max = size > 64 * 1024 ? 1 << 20 : undefined;
          await Promise.all([chunksOf(a.server, size, 255, max), a.client.write(new Uint8Array(size).fill(255))]);
        }
        gc();
        const reply = new Promise<boolean[]>((res) => worker.once('message', res));
        worker.postMessage({ check: true });
        const ok = await reply;
        assert.equal(ok.length, sent);
        assert.ok(sent >= 16);
        assert.deepEqual(ok, ok.map(() => true), 'every transferred chunk kept its bytes in the worker');
      } finally {
        await worker.terminate();
        await a.closeAll(); np.shutdown();
      }
    });
  });
}
