// A reset storm: peers that reset (SO_LINGER 0) before, while and after
// sending, with the server's writes still queued, half-close, or stall and
// vanish, at random points. The server survives (a clean echo works after
// it), settles every handler, echoes every half-closed stream in full, and
// gives back every descriptor: for the readChunk loop and serve(), on both
// backends, and once more under injected kernel faults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends } from '../helpers/backends.ts';
import { runChild } from './run-child.ts';

const SCENARIO = new URL('./storm-scenario.ts', import.meta.url);

interface StormResult {
  kinds: Record<string, number>; halfClose: number; halfCloseEchoed: number; probed: boolean;
  started: number; settled: number; serverErrors: Record<string, number>; faults: Record<string, number>; leaked: string[];
}

const runs: { mode: 'chunk' | 'serve'; backend: string; driver: 'loop' | 'worker'; faults: string | null }[] = [];
for (const mode of ['chunk', 'serve'] as const) for (const backend of backends) runs.push({ mode, backend, driver: 'loop', faults: null });
runs.push({ mode: 'chunk', backend: 'epoll', driver: 'worker', faults: 'seed=7,eintr=0.1,eagain=0.1,short=0.4,emfile=0.05' });
runs.push({ mode: 'serve', backend: 'kqueue', driver: 'worker', faults: 'seed=8,eintr=0.1,eagain=0.1,short=0.4,emfile=0.05' });

let seed = 1;
for (const run of runs) {
  const s = seed++;
  test(`a reset storm leaves the server serving, every handler settled and every descriptor given back (${run.mode}, ${run.backend}, ${run.driver} driver${run.faults ? ', injected faults' : ''})`, async (t) => {
    const params = { mode: run.mode, conns: 400, seed: s, backend: run.backend, driver: run.driver };
    const { result: r } = await runChild<StormResult>(SCENARIO, [JSON.stringify(params)], run.faults ? { NETPOLL_FAULTS: run.faults } : {});
    t.diagnostic(`peers ${JSON.stringify(r.kinds)}; server errors ${JSON.stringify(r.serverErrors)}; faults ${JSON.stringify(r.faults)}`);
    assert.ok(r.probed, 'a clean echo works after the storm');
    assert.equal(r.started, 401, 'every peer (and the probe) was accepted');
    assert.equal(r.settled, r.started, 'every handler settled');
    assert.equal(r.halfCloseEchoed, r.halfClose, 'every half-closed stream was echoed in full');
    assert.deepEqual(r.leaked, [], 'every descriptor given back');
    assert.ok((r.serverErrors['ECONNRESET'] ?? 0) > 0, 'the resets reached the server');
  });
}
