// Under a seeded mix of kernel faults (EINTR everywhere, spurious EAGAIN with
// the edge re-armed, short reads and writes down to 1 byte, ECONNRESET
// mid-stream, EMFILE on accept), a 1000-connection echo of tagged frames
// moves every byte exactly once and in order, for each way of serving: the
// readChunk loop, read(buf), writev and serve(). Connections an injected
// reset broke got an exact prefix of their stream; every handler settles and
// every descriptor is given back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAULTS_ON, faultCounts, hook, parseFaultSpec, type FaultKind } from '../../src/sys/faults.ts';
import { libc } from '../../src/sys/libc-handle.ts';
import { backends } from '../helpers/backends.ts';
import type { EchoMode } from './echo-scenario.ts';
import { runChild } from './run-child.ts';

const SCENARIO = new URL('./echo-scenario.ts', import.meta.url);
/** The suite's mix; the soak runs more connections and frames. */
const MIX = 'eintr=0.1,eagain=0.1,short=0.4,reset=0.0005,emfile=0.05,closeintr=0.01';

interface EchoResult {
  conns: number; faultsOn: boolean; bytesChecked: number; complete: number; broken: number; errors: string[];
  started: number; settled: number; serverErrors: Record<string, number>; faults: Record<FaultKind, number>; leaked: string[];
}

test('faults are off unless NETPOLL_FAULTS is set: hook() hands back the bound function itself', () => {
  assert.equal(FAULTS_ON, false);
  const read = libc.func('intptr_t read(int fd, void *buf, size_t count)');
  assert.equal(hook('intptr_t read(int fd, void *buf, size_t count)', read), read);
  assert.deepEqual(Object.values(faultCounts()), [0, 0, 0, 0, 0, 0, 0]);
});

test('a bad NETPOLL_FAULTS spec is a RangeError naming the key', () => {
  assert.deepEqual(parseFaultSpec('seed=7,eintr=0.5'), { seed: 7, eintr: 0.5, closeintr: 0, eagain: 0, short: 0, reset: 0, emfile: 0 });
  assert.throws(() => parseFaultSpec('eintr=2'), /bad value for eintr/);
  assert.throws(() => parseFaultSpec('bogus=1'), /unknown key 'bogus'/);
  assert.throws(() => parseFaultSpec('short='), /bad value for short/);
});

const modes: EchoMode[] = ['chunk', 'read', 'writev', 'serve'];
let seed = 11;
for (const mode of modes) {
  for (const backend of backends) {
    const driver = (seed++ % 2 === 0) ? 'worker' : 'loop';
    const s = seed;
    test(`under injected faults a 1000-connection echo (${mode}, ${backend}, ${driver} driver) moves every byte once, in order`, async (t) => {
      const params = { mode, conns: 1000, frames: 2, seed: s, backend, driver };
      const { result: r } = await runChild<EchoResult>(SCENARIO, [JSON.stringify(params)], { NETPOLL_FAULTS: `seed=${s},${MIX}` });
      t.diagnostic(`${mode}/${backend}/${driver}: ${r.bytesChecked} bytes checked, ${r.complete} complete, ${r.broken} reset; faults ${JSON.stringify(r.faults)}`);
      assert.ok(r.faultsOn);
      assert.deepEqual(r.errors, [], 'no byte lost, duplicated, reordered or crossed');
      assert.equal(r.complete + r.broken, r.conns);
      assert.ok(r.broken <= r.faults.reset, `${r.broken} connections broke, only ${r.faults.reset} resets were injected`);
      assert.equal(r.started, r.conns, 'every connection was accepted (EMFILE only delays)');
      assert.equal(r.settled, r.started, 'every handler settled');
      assert.deepEqual(r.leaked, [], 'every descriptor given back');
      for (const k of ['eintr', 'eagain', 'shortRead', 'shortWrite', 'emfile'] as const) assert.ok(r.faults[k] > 0, `the mix injected ${k}`);
    });
  }
}
