// Under injected EINTR and spurious EAGAIN (with the edge re-armed) on every
// datagram call (recvfrom, sendto, recvmsg, sendmsg, recvmmsg, sendmmsg), a
// bounded burst over unixgram, where the kernel never drops a datagram,
// reaches its readers exactly once through every read and write path:
// read-ahead, readBatch and readMsg; coalesced writeTo, single writeTo,
// writeBatch and writeMsg. Every descriptor is given back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends } from '../helpers/backends.ts';
import { runChild } from './run-child.ts';

const SCENARIO = new URL('./dgram-scenario.ts', import.meta.url);

interface DgramResult {
  faultsOn: boolean; want: number; delivered: number; duplicates: number; malformed: number; missing: string[];
  errors: Record<string, number>; faults: Record<string, number>; leaked: string[];
}

let seed = 21;
for (const backend of backends) {
  for (const driver of ['loop', 'worker'] as const) {
    const s = seed++;
    test(`under injected EINTR and spurious EAGAIN every datagram of a unixgram burst arrives exactly once (${backend}, ${driver} driver)`, async (t) => {
      const params = { perWriter: 400, seed: s, backend, driver };
      const { result: r } = await runChild<DgramResult>(SCENARIO, [JSON.stringify(params)], { NETPOLL_FAULTS: `seed=${s},eintr=0.1,eagain=0.1` });
      t.diagnostic(`${r.delivered}/${r.want} delivered; faults ${JSON.stringify(r.faults)}`);
      assert.ok(r.faultsOn);
      assert.ok((r.faults['eagain'] ?? 0) > 0 && (r.faults['eintr'] ?? 0) > 0, 'the datagram calls met faults');
      assert.deepEqual(r.errors, {}, 'no read or write failed');
      assert.deepEqual([r.duplicates, r.malformed, r.missing], [0, 0, []], 'none twice, none garbled, none missing');
      assert.equal(r.delivered, r.want);
      assert.deepEqual(r.leaked, [], 'every descriptor given back');
    });
  }
}

test('without faults the same burst arrives exactly once', async () => {
  const { result: r } = await runChild<DgramResult>(SCENARIO, [JSON.stringify({ perWriter: 400, seed: 5, backend: backends[0] })]);
  assert.equal(r.faultsOn, false);
  assert.deepEqual([r.delivered, r.duplicates, r.malformed, r.errors, r.leaked], [r.want, 0, 0, {}, []]);
});
