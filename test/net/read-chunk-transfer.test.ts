// Small readChunk() chunks share a pool slab, as Node's Buffer pool does;
// Node marks its pool untransferable so that a user who transfers one
// Buffer's .buffer cannot detach it under every other Buffer. Same here: a
// transferred chunk's slab is copied, never detached.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { backendCases } from '../helpers/backends.ts';
import { connectedPair } from '../helpers/net.ts';

for (const { backend, skip, make } of backendCases) {
  describe(`readChunk slab and transfer lists (${backend})`, { skip: skip ?? false }, () => {
    test('transferring a small chunk\'s .buffer (structuredClone, postMessage) leaves the slab, other chunks and later readChunk() intact', async () => {
      const np = make();
      const a = await connectedPair(np);
      const b = await connectedPair(np);
      const port = new MessageChannel();
      try {
        await a.client.write(Uint8Array.of(1, 2, 3));
        const first = (await a.server.readChunk())!;
        await b.client.write(Uint8Array.of(4, 5));
        const neighbour = (await b.server.readChunk())!;
        assert.equal(first.buffer, neighbour.buffer, 'both small chunks come from one slab');

        const cloned = structuredClone(first, { transfer: [first.buffer as ArrayBuffer] });
        assert.deepEqual([...cloned], [1, 2, 3]);
        port.port1.postMessage(neighbour, [neighbour.buffer as ArrayBuffer]);
        assert.ok(first.buffer.byteLength > 0, 'the slab is not detached');
        assert.deepEqual([...first], [1, 2, 3]);
        assert.deepEqual([...neighbour], [4, 5]);

        // Every later small read, on either connection, still works and loses nothing.
        for (let i = 0; i < 50; i++) {
          const conn = i % 2 === 0 ? a : b;
          await conn.client.write(Uint8Array.of(i, i + 1));
          let got: number[] = [];
          while (got.length < 2) got = got.concat([...(await conn.server.readChunk())!]);
          assert.deepEqual(got, [i, i + 1]);
        }
      } finally {
        port.port1.close();
        await a.closeAll(); await b.closeAll(); np.shutdown();
      }
    });
  });
}
