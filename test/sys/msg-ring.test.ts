// The native rings under read-ahead and write coalescing, on a Unix
// datagram socketpair: a recvmmsg ring keeps each datagram's full length
// (so a cut is known) and its sender; a sendmmsg ring sends copies made at
// push time, each to its own destination; counts outside the ring are
// RangeErrors before any system call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { C } from '../../src/sys/constants.ts';
import { HAS_MMSG, recvfrom, sendto } from '../../src/sys/msg.ts';
import { READ_SLOT, RecvRing, SendRing } from '../../src/sys/msg-ring.ts';
import { closeAll, socketPair } from '../helpers/fds.ts';

const skip = HAS_MMSG ? false : 'recvmmsg/sendmmsg are Linux only';

test('RecvRing: one recvmmsg takes what is queued; each keeps its full length, a zero-byte one included', { skip }, () => {
  const [a, b] = socketPair(C.SOCK_DGRAM | C.SOCK_NONBLOCK);
  const ring = new RecvRing(4);
  try {
    assert.equal(sendto(a, Uint8Array.of(1, 2, 3), 0, 3, 0, null, 0), 3);
    assert.equal(sendto(a, new Uint8Array(0), 0, 0, 0, null, 0), 0);
    const big = new Uint8Array(READ_SLOT + 100).fill(7);
    assert.equal(sendto(a, big, 0, big.byteLength, 0, null, 0), big.byteLength);
    assert.equal(ring.fill(b, 4), 3);
    const buf = new Uint8Array(READ_SLOT + 200);
    const name = new Uint8Array(128), len = new Int32Array(1);
    assert.equal(ring.headLength(), 3);
    assert.equal(ring.take(buf, 0, 2, name, len), 2, 'cut by the caller\'s length');
    assert.deepEqual([...buf.subarray(0, 2)], [1, 2]);
    assert.equal(ring.headLength(), 0);
    assert.equal(ring.take(buf, 0, buf.byteLength, name, len), 0);
    assert.equal(ring.headLength(), big.byteLength, 'the full length of a datagram longer than a slot');
    assert.equal(ring.take(buf, 0, buf.byteLength, name, len), READ_SLOT, 'a slot keeps READ_SLOT bytes');
    assert.equal(ring.count, 0);
    assert.equal(ring.fill(b, 1), -C.EAGAIN);
  } finally { ring.free(); closeAll(a, b); }
});

test('RecvRing and SendRing refuse counts and descriptors outside their range before any call', { skip }, () => {
  const ring = new RecvRing(2);
  const out = new SendRing(2, 64);
  try {
    assert.throws(() => ring.fill(3, 0), RangeError);
    assert.throws(() => ring.fill(3, 3), RangeError);
    assert.throws(() => ring.fill(-1, 1), RangeError);
    assert.equal(out.fits(65), false);
    assert.throws(() => out.send(-1, 1), RangeError);
  } finally { ring.free(); out.free(); }
});

test('SendRing: datagrams copied at push time go out in one sendmmsg, in order', { skip }, () => {
  const [a, b] = socketPair(C.SOCK_DGRAM | C.SOCK_NONBLOCK);
  const out = new SendRing(4, 1024);
  try {
    const src = Uint8Array.of(9, 8, 7, 6);
    out.push(src, 0, 4, null, 0);
    src.fill(0);
    out.push(src, 1, 0, null, 0);
    out.push(Uint8Array.of(5), 0, 1, null, 0);
    assert.equal(out.send(a, 16), 3);
    assert.equal(out.sent, 3);
    const buf = new Uint8Array(16), name = new Uint8Array(128), len = new Int32Array([128]);
    assert.equal(recvfrom(b, buf, 0, 16, 0, name, len), 4);
    assert.deepEqual([...buf.subarray(0, 4)], [9, 8, 7, 6], 'the bytes as they were when pushed');
    len[0] = 128;
    assert.equal(recvfrom(b, buf, 0, 16, 0, name, len), 0);
    len[0] = 128;
    assert.equal(recvfrom(b, buf, 0, 16, 0, name, len), 1);
    out.clear();
    assert.equal(out.fits(1024), true);
  } finally { out.free(); closeAll(a, b); }
});
