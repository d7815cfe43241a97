// The driver on Node's own loop: it never blocks the loop, and holds the
// process open only while a task waits, like a Node socket.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { backends } from '../helpers/backends.ts';

const fixture = fileURLToPath(new URL('../fixtures/idle-descriptors.ts', import.meta.url));

function run(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', fixture, ...args], { encoding: 'utf8', timeout: 20_000 });
}

for (const backend of backends) for (const driver of ['loop', 'worker']) {
  describe(`Node's loop with the ${backend} poller, ${driver} driver`, () => {
    test('timers and fs keep working while 1000 registered descriptors sit idle; the process exits by itself', () => {
      const r = run(backend, 'idle', driver);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /timers 5 fs true/);
    });

    test('a parked wait keeps the process alive until it is woken, then it exits', () => {
      const r = run(backend, 'park', driver);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /parked wait woke/);
    });
  });
}
