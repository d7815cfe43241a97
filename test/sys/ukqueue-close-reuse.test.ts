// The user-space kqueue and a descriptor closed while its file is open
// elsewhere: BSD drops the knote at the close (knote_fdclose), so neither an
// edge-triggered nor a level-triggered registration of the number's next
// owner ever reports the old file; and the old file's entry is dropped, not
// left level-ready inside the kqueue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { C } from '../../src/sys/constants.ts';
import { KeventBuffer } from '../../src/sys/kevent-layout.ts';
import { close, fcntl, write } from '../../src/sys/libc.ts';
import { socketpair } from '../../src/sys/socket.ts';
import { ukqueue } from '../../src/sys/ukqueue/index.ts';
import { IS_LINUX } from '../../src/sys/platform.ts';
import { socketPairAt } from '../helpers/fds.ts';

const { EVFILT_READ: READ, EV_ADD, EV_CLEAR } = C;
const F_DUPFD = 0;

const NOW = new Uint8Array(16);

function sockets(): [number, number] {
  const sv = new Int32Array(2);
  assert.equal(socketpair(C.AF_UNIX, C.SOCK_STREAM | C.SOCK_NONBLOCK | C.SOCK_CLOEXEC, 0, sv), 0);
  return [sv[0]!, sv[1]!];
}
function add(kq: number, fd: number, flags: number, udata: number): void {
  const ch = new KeventBuffer(1);
  ch.set(0, fd, READ, EV_ADD | flags, 0, 0, udata);
  assert.equal(ukqueue.kevent(kq, ch.bytes, 1, null, 0, null), 0);
}
function poll(kq: number): Array<{ ident: number; udata: number }> {
  const ev = new KeventBuffer(8);
  const n = ukqueue.kevent(kq, null, 0, ev.bytes, 8, NOW);
  assert.ok(n >= 0);
  return Array.from({ length: n }, (_, i) => ({ ident: ev.ident(i), udata: ev.udata(i) }));
}
function send(fd: number, text: string): void {
  const b = Buffer.from(text);
  assert.equal(write(fd, b, b.length), b.length);
}

for (const [name, flags] of [['level-triggered', 0], ['EV_CLEAR', EV_CLEAR]] as const) {
  test(`ukqueue, ${name}: after close (file open through a dup) and reuse of the number, the old file's readiness reaches nobody`, { skip: !IS_LINUX && 'the user-space kqueue is Linux-only' }, () => {
    const kq = ukqueue.kqueue();
    assert.ok(kq >= 0);
    try {
      const [a, aPeer] = sockets();
      add(kq, a, flags, 1);
      const dup = fcntl(a, F_DUPFD, 0);
      close(a);
      const [moved, bPeer] = socketPairAt(a);
      add(kq, moved, flags, 2);

      send(aPeer, 'old');
      assert.deepEqual(poll(kq), [], 'the old socket\'s data was reported');
      assert.deepEqual(poll(kq), [], 'the old socket\'s entry is still ready');
      send(bPeer, 'new');
      assert.deepEqual(poll(kq), [{ ident: moved, udata: 2 }]);
      for (const fd of [moved, bPeer, dup, aPeer]) close(fd);
    } finally { ukqueue.closeKqueue(kq); }
  });
}
