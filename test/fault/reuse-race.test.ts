// Descriptor reuse: a descriptor closed while its readiness is still on the
// way, its number taken at once by a new socket, must never wake the new
// owner (Go's fdseq in the poll token; BSD drops knotes on close). Every
// backend and driver, with and without a dup keeping the old file open.
// The suite runs a bounded count per combination; `npm run soak` runs the
// full 10^5 (`--reuse-cycles`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends } from '../helpers/backends.ts';
import { runChild } from './run-child.ts';

const SCENARIO = new URL('./reuse-scenario.ts', import.meta.url);
const CYCLES = Number(process.env['NETPOLL_REUSE_CYCLES'] ?? 500);

interface ReuseResult { cycles: number; reused: number; windowHits: number; misdelivered: number; oldFailedRight: number }

for (const backend of backends) {
  for (const driver of ['loop', 'worker'] as const) {
    for (const dup of [false, true]) {
      const name = `a closed descriptor's readiness never wakes the socket that reuses its number (${backend}, ${driver} driver${dup ? ', old file kept open by a dup' : ''})`;
      test(name, async (t) => {
        const params = { backend, driver, dup, cycles: CYCLES };
        const { result: r } = await runChild<ReuseResult>(SCENARIO, [JSON.stringify(params)]);
        t.diagnostic(`${backend}/${driver}/dup=${dup}: ${r.cycles} cycles, number reused ${r.reused}, window hit ${r.windowHits}, misdelivered ${r.misdelivered}`);
        assert.equal(r.misdelivered, 0, 'no wake-up of the new owner by the old descriptor\'s events');
        assert.ok(r.reused > r.cycles / 2, `the number was reused in ${r.reused} of ${r.cycles} cycles`);
        assert.ok(r.windowHits > 0, 'the window (readiness still undelivered at the close) was hit');
      });
    }
  }
}
