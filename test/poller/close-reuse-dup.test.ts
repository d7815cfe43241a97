// A registered descriptor closed while its file stays open elsewhere (a dup,
// a child), and its number reused by a new socket: the old socket's
// readiness must not reach the new owner. Real kqueue drops an fd's knotes
// at close; epoll keeps the old file's entry (so Netpoll deletes it before
// the close), and the user-space kqueue must behave as the real one.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Netpoll, type Parker } from '../../src/netpoll/index.ts';
import { setCloseOnExec } from '../../src/sys/descriptors.ts';
import { close, fcntl } from '../../src/sys/libc.ts';
import { backendCases } from '../helpers/backends.ts';
import { pipe, socketPair, socketPairAt, writeStr } from '../helpers/fds.ts';

const F_DUPFD = 0; // the same on Linux and the BSDs


/** A parker that records what happened to it. */
function recorder(): Parker & { events: string[] } {
  const events: string[] = [];
  return { events, pdReady: (m) => { events.push(`ready ${m}`); }, pdFail: (m, e) => { events.push(`fail ${m} ${e.message}`); } };
}

/** Resolves once the Netpoll has harvested everything that was ready before the call: a sentinel pipe goes readable last. */
async function drained(np: Netpoll): Promise<void> {
  const [r, w] = pipe();
  const pd = np.open(r);
  try {
    const waiting = pd.wait('r');
    writeStr(w, 'x');
    await waiting;
  } finally { np.close(pd); close(r); close(w); }
}

for (const { backend, skip, make } of backendCases) {
  describe(`close with the file open elsewhere, then reuse of the number (${backend})`, { skip: skip ?? false }, () => {
    test('the old socket\'s readiness never wakes the new owner of its number, across 20 rounds (knotes die with the close, as on BSD)', async () => {
      const np = make();
      try {
        for (let round = 0; round < 20; round++) {
          const [a, aPeer] = socketPair();
          const pdA = np.open(a);
          const dup = fcntl(a, F_DUPFD, 0);   // the old socket's file stays open
          assert.ok(dup >= 0);
          setCloseOnExec(dup);
          np.close(pdA);
          close(a);
          const [moved, bPeer] = socketPairAt(a);
          const pdB = np.open(moved);
          const p = recorder();
          assert.equal(pdB.park('r', p), false);

          writeStr(aPeer, 'for the old socket');
          await drained(np);
          assert.deepEqual(p.events, [], `round ${round}: the old socket's data woke the new owner`);
          assert.equal(pdB.state.rg, 'wait');

          writeStr(bPeer, 'for the new socket');
          await drained(np);
          assert.deepEqual(p.events, ['ready r']);

          np.close(pdB);
          for (const fd of [moved, bPeer, dup, aPeer]) close(fd);
        }
      } finally { np.shutdown(); }
    });
  });
}
