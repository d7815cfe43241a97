import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { C, EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLLIN } from '../../src/sys/constants.ts';
import { nonblockingPipe } from '../../src/sys/descriptors.ts';
import { EpollEventBuffer } from '../../src/sys/epoll-layout.ts';
import { KEVENT, KeventBuffer } from '../../src/sys/kevent-layout.ts';
import { close, epoll, read, write } from '../../src/sys/libc.ts';
import { socketpair } from '../../src/sys/socket.ts';
import { SyscallError } from '../../src/sys/syscall-error.ts';
import { ukqueue, ukqueueUserEventFd } from '../../src/sys/ukqueue/index.ts';

const { EVFILT_READ: READ, EVFILT_WRITE: WRITE, EVFILT_USER: USER } = C;
const { EV_ADD, EV_DELETE, EV_ENABLE, EV_DISABLE, EV_ONESHOT, EV_CLEAR, EV_RECEIPT, EV_ERROR, EV_EOF, NOTE_TRIGGER } = C;
const WAKE_IDENT = 0xee1eb9f4;

function timespec(sec: number, nsec: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setBigInt64(0, BigInt(sec), true);
  v.setBigInt64(8, BigInt(nsec), true);
  return b;
}
const NOW = timespec(0, 0);
const TWO_S = timespec(2, 0);

function newKq(t: { after(fn: () => void): void }): number {
  const kq = ukqueue.kqueue();
  assert.ok(kq >= 0, `kqueue() = ${kq}`);
  t.after(() => { ukqueue.closeKqueue(kq); });
  return kq;
}

// Descriptors a test owns; each is closed exactly once, by closeFd or after the test.
const live = new Set<number>();
function fds(t: { after(fn: () => void): void }, ...list: number[]): void {
  for (const fd of list) live.add(fd);
  t.after(() => { for (const fd of list) if (live.delete(fd)) close(fd); });
}
function closeFd(fd: number): void {
  assert.ok(live.delete(fd), `fd ${fd} is not owned by the test`);
  assert.equal(close(fd), 0);
}

function pipe(t: { after(fn: () => void): void }): [number, number] {
  const p = nonblockingPipe();
  fds(t, ...p);
  return p;
}

function sockets(t: { after(fn: () => void): void }): [number, number] {
  const sv = new Int32Array(2);
  assert.equal(socketpair(C.AF_UNIX, C.SOCK_STREAM | C.SOCK_NONBLOCK | C.SOCK_CLOEXEC, 0, sv), 0);
  fds(t, sv[0]!, sv[1]!);
  return [sv[0]!, sv[1]!];
}

/** One change, no event list: the result of kevent (0 or -errno). */
function change(kq: number, ident: number, filter: number, flags: number, fflags = 0, data = 0, udata = 0): number {
  const ch = new KeventBuffer(1);
  ch.set(0, ident, filter, flags, fflags, data, udata);
  return ukqueue.kevent(kq, ch.bytes, 1, null, 0, null);
}

/** One change with room for its EV_ERROR event: the errno (0 when it applied). */
function changeErr(kq: number, ident: number, filter: number, flags: number, fflags = 0, udata = 0): number {
  const ch = new KeventBuffer(1);
  ch.set(0, ident, filter, flags | EV_RECEIPT, fflags, 0, udata);
  const ev = new KeventBuffer(1);
  const n = ukqueue.kevent(kq, ch.bytes, 1, ev.bytes, 1, NOW);
  assert.equal(n, 1);
  assert.equal(ev.flags(0), EV_ERROR);
  return ev.data(0);
}

function poll(kq: number, cap = 16, ts: Uint8Array | null = NOW): { n: number; ev: KeventBuffer } {
  const ev = new KeventBuffer(cap);
  const n = ukqueue.kevent(kq, null, 0, ev.bytes, cap, ts);
  return { n, ev };
}

function send(fd: number, text: string): void {
  const b = Buffer.from(text);
  assert.equal(write(fd, b, b.length), b.length);
}

function drain(fd: number): number {
  const b = new Uint8Array(4096);
  let total = 0;
  for (;;) {
    const n = read(fd, b, b.length);
    if (n <= 0) return total;
    total += n;
  }
}

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

test('read filter: ready with the number of bytes readable, udata as registered', (t) => {
  const kq = newKq(t);
  const [rd, wr] = pipe(t);
  assert.equal(change(kq, rd, READ, EV_ADD, 0, 0, 42), 0);
  assert.equal(poll(kq).n, 0);
  send(wr, 'hello');
  const { n, ev } = poll(kq);
  assert.equal(n, 1);
  assert.equal(ev.ident(0), rd);
  assert.equal(ev.filter(0), READ);
  assert.equal(ev.data(0), 5);
  assert.equal(ev.udata(0), 42);
  assert.equal(ev.flags(0) & (EV_EOF | EV_ERROR), 0);
});

test('write filter: a pipe with room is writable', (t) => {
  const kq = newKq(t);
  const [, wr] = pipe(t);
  assert.equal(change(kq, wr, WRITE, EV_ADD, 0, 0, 7), 0);
  const { n, ev } = poll(kq);
  assert.equal(n, 1);
  assert.equal(ev.ident(0), wr);
  assert.equal(ev.filter(0), WRITE);
  assert.equal(ev.udata(0), 7);
  assert.equal(ev.flags(0) & EV_EOF, 0);
});

test('level-triggered without EV_CLEAR: reported on every call while data is there', (t) => {
  const kq = newKq(t);
  const [rd, wr] = pipe(t);
  change(kq, rd, READ, EV_ADD);
  send(wr, 'abc');
  for (let i = 0; i < 3; i++) {
    const { n, ev } = poll(kq);
    assert.equal(n, 1);
    assert.equal(ev.data(0), 3);
    assert.equal(ev.flags(0) & EV_CLEAR, 0);
  }
  drain(rd);
  assert.equal(poll(kq).n, 0);
});

test('EV_CLEAR: reported once per new data, flags carry EV_CLEAR', (t) => {
  const kq = newKq(t);
  const [rd, wr] = pipe(t);
  change(kq, rd, READ, EV_ADD | EV_CLEAR);
  send(wr, 'abc');
  let r = poll(kq);
  assert.equal(r.n, 1);
  assert.equal(r.ev.data(0), 3);
  assert.ok(r.ev.flags(0) & EV_CLEAR);
  assert.equal(poll(kq).n, 0, 'no new data: no new event');
  send(wr, 'def');
  r = poll(kq);
  assert.equal(r.n, 1);
  assert.equal(r.ev.data(0), 6, 'data counts everything still unread');
  assert.equal(poll(kq).n, 0);
});

test('EV_ONESHOT: delivered once, then the knote is gone', (t) => {
  const kq = newKq(t);
  const [rd, wr] = pipe(t);
  change(kq, rd, READ, EV_ADD | EV_ONESHOT, 0, 0, 9);
  send(wr, 'x');
  const r = poll(kq);
  assert.equal(r.n, 1);
  assert.ok(r.ev.flags(0) & EV_ONESHOT);
  assert.equal(r.ev.udata(0), 9);
  assert.equal(poll(kq).n, 0, 'data still there, knote deleted');
  assert.equal(changeErr(kq, rd, READ, EV_DELETE), C.ENOENT);
  assert.equal(change(kq, rd, READ, EV_ADD | EV_ONESHOT), 0, 'can be added again');
  assert.equal(poll(kq).n, 1);
});

test('EV_DISABLE and EV_ENABLE: per filter on one descriptor', (t) => {
  const kq = newKq(t);
  const [a, b] = sockets(t);
  change(kq, a, READ, EV_ADD, 0, 0, 1);
  change(kq, a, WRITE, EV_ADD, 0, 0, 2);
  send(b, 'ping');
  let r = poll(kq);
  assert.equal(r.n, 2);
  assert.equal(change(kq, a, READ, EV_DISABLE, 0, 0, 1), 0);
  r = poll(kq);
  assert.equal(r.n, 1);
  assert.equal(r.ev.filter(0), WRITE);
  assert.equal(change(kq, a, WRITE, EV_DISABLE, 0, 0, 2), 0);
  closeFd(b);   // a disabled knote reports nothing, not even the hang-up
  assert.equal(poll(kq).n, 0);
  assert.equal(change(kq, a, READ, EV_ENABLE, 0, 0, 11), 0);
  r = poll(kq);
  assert.equal(r.n, 1);
  assert.equal(r.ev.filter(0), READ);
  assert.equal(r.ev.data(0), 4);
  assert.equal(r.ev.udata(0), 11, 'a change replaces udata');
  assert.ok(r.ev.flags(0) & EV_EOF);
  // EV_ADD|EV_DISABLE registers without reporting.
  const [rd, wr] = pipe(t);
  send(wr, 'z');
  assert.equal(change(kq, rd, READ, EV_ADD | EV_DISABLE), 0);
  change(kq, a, READ, EV_DISABLE);
  assert.equal(poll(kq).n, 0);
  change(kq, rd, READ, EV_ENABLE);
  assert.equal(poll(kq).n, 1);
});

test('EV_DELETE: no more events; deleting twice is ENOENT', (t) => {
  const kq = newKq(t);
  const [rd, wr] = pipe(t);
  change(kq, rd, READ, EV_ADD);
  send(wr, 'x');
  assert.equal(poll(kq).n, 1);
  assert.equal(change(kq, rd, READ, EV_DELETE), 0);
  assert.equal(poll(kq).n, 0);
  assert.equal(changeErr(kq, rd, READ, EV_DELETE), C.ENOENT);
  assert.equal(changeErr(kq, rd, WRITE, EV_ENABLE), C.ENOENT);
  assert.equal(changeErr(kq, rd, READ, EV_DISABLE), C.ENOENT);
});

test('EV_EOF on the read filter when the peer closes', (t) => {
  const kq = newKq(t);
  const [a, b] = sockets(t);
  change(kq, a, READ, EV_ADD | EV_CLEAR);
  send(b, 'last');
  closeFd(b);
  const r = poll(kq);
  assert.equal(r.n, 1);
  assert.ok(r.ev.flags(0) & EV_EOF);
  assert.equal(r.ev.data(0), 4, 'bytes still to read beside EOF');

  const [rd, wr] = pipe(t);
  change(kq, rd, READ, EV_ADD);
  closeFd(wr);
  const p = poll(kq);
  assert.equal(p.n, 1);
  assert.equal(p.ev.ident(0), rd);
  assert.ok(p.ev.flags(0) & EV_EOF);
  assert.equal(p.ev.data(0), 0);
});

test('EV_EOF on the write filter when the reader closes', (t) => {
  const kq = newKq(t);
  const [rd, wr] = pipe(t);
  change(kq, wr, WRITE, EV_ADD | EV_CLEAR);
  let r = poll(kq);
  assert.equal(r.n, 1);
  assert.equal(r.ev.flags(0) & EV_EOF, 0);
  closeFd(rd);
  r = poll(kq);
  assert.equal(r.n, 1);
  assert.equal(r.ev.filter(0), WRITE);
  assert.ok(r.ev.flags(0) & EV_EOF);

  const [a, b] = sockets(t);
  change(kq, a, WRITE, EV_ADD | EV_CLEAR);
  assert.equal(poll(kq).n, 1);
  closeFd(b);
  r = poll(kq);
  assert.equal(r.n, 1);
  assert.equal(r.ev.ident(0), a);
  assert.ok(r.ev.flags(0) & EV_EOF);
});

test('EV_ERROR: a bad descriptor is reported as an event when there is room, without waiting', (t) => {
  const kq = newKq(t);
  const [rd, wr] = pipe(t);
  send(wr, 'x');
  const bad = 0x3fff_fff0;   // far beyond any open descriptor
  const ch = new KeventBuffer(3);
  ch.set(0, bad, READ, EV_ADD, 0, 0, 77);
  ch.set(1, rd, READ, EV_ADD, 0, 0, 0);
  ch.set(2, rd, 5, EV_ADD, 0, 0, 0);   // no such filter
  const ev = new KeventBuffer(4);
  const t0 = performance.now();
  const n = ukqueue.kevent(kq, ch.bytes, 3, ev.bytes, 4, TWO_S);
  assert.ok(performance.now() - t0 < 1000, 'errors return at once');
  assert.equal(n, 2);
  assert.equal(ev.flags(0), EV_ERROR);
  assert.equal(ev.data(0), C.EBADF);
  assert.equal(ev.ident(0), bad);
  assert.equal(ev.udata(0), 77);
  assert.equal(ev.flags(1), EV_ERROR);
  assert.equal(ev.data(1), C.EINVAL);
  assert.equal(ev.filter(1), 5);
  assert.equal(poll(kq).n, 1, 'the good change in between applied');
  // A closed descriptor is EBADF too, whatever the operation.
  assert.equal(changeErr(kq, bad, READ, EV_DELETE), C.EBADF);
  assert.equal(changeErr(kq, bad, WRITE, EV_ENABLE), C.EBADF);
  assert.equal(changeErr(kq, 2 ** 40, READ, EV_ADD), C.EBADF);
});

test('EV_ERROR: without room in the event list kevent fails with the errno and stops', (t) => {
  const kq = newKq(t);
  const [rd, wr] = pipe(t);
  send(wr, 'x');
  const ch = new KeventBuffer(2);
  ch.set(0, 0x3fff_fff0, READ, EV_ADD, 0, 0, 0);
  ch.set(1, rd, READ, EV_ADD, 0, 0, 0);
  assert.equal(ukqueue.kevent(kq, ch.bytes, 2, null, 0, null), -C.EBADF);
  assert.equal(poll(kq).n, 0, 'the change after the failure was not applied');
  // One slot: the first error fills it, the second has no room.
  const ch2 = new KeventBuffer(3);
  ch2.set(0, 0x3fff_fff0, READ, EV_DELETE, 0, 0, 0);
  ch2.set(1, rd, WRITE, EV_DELETE, 0, 0, 0);
  ch2.set(2, rd, READ, EV_ADD, 0, 0, 0);
  const ev = new KeventBuffer(1);
  assert.equal(ukqueue.kevent(kq, ch2.bytes, 3, ev.bytes, 1, NOW), -C.ENOENT);
  assert.equal(ev.data(0), C.EBADF);
  assert.equal(poll(kq).n, 0);
});

test('EV_RECEIPT: every change reported with EV_ERROR and data 0, without harvesting', (t) => {
  const kq = newKq(t);
  const [rd, wr] = pipe(t);
  send(wr, 'x');
  const ch = new KeventBuffer(2);
  ch.set(0, rd, READ, EV_ADD | EV_RECEIPT, 0, 0, 5);
  ch.set(1, wr, WRITE, EV_ADD | EV_RECEIPT, 0, 0, 6);
  const ev = new KeventBuffer(8);
  const n = ukqueue.kevent(kq, ch.bytes, 2, ev.bytes, 8, null);   // would block if it waited
  assert.equal(n, 2);
  for (let i = 0; i < 2; i++) {
    assert.equal(ev.flags(i), EV_ERROR);
    assert.equal(ev.data(i), 0);
    assert.equal(ev.udata(i), 5 + i);
  }
  assert.equal(ev.ident(0), rd);
  assert.equal(ev.ident(1), wr);
  assert.equal(poll(kq).n, 2, 'both knotes are live');
});

test('EVFILT_USER with EV_CLEAR: NOTE_TRIGGER fires it once', (t) => {
  const kq = newKq(t);
  assert.equal(change(kq, WAKE_IDENT, USER, EV_ADD | EV_CLEAR), 0);
  assert.equal(poll(kq).n, 0);
  assert.equal(change(kq, WAKE_IDENT, USER, 0, NOTE_TRIGGER), 0);
  assert.equal(change(kq, WAKE_IDENT, USER, 0, NOTE_TRIGGER), 0);
  const r = poll(kq);
  assert.equal(r.n, 1, 'two triggers before a harvest are one event');
  assert.equal(r.ev.ident(0), WAKE_IDENT);
  assert.equal(r.ev.filter(0), USER);
  assert.ok(r.ev.flags(0) & EV_CLEAR);
  assert.equal(r.ev.fflags(0), 0, 'NOTE_TRIGGER is not a user flag');
  assert.equal(poll(kq).n, 0, 'EV_CLEAR reset it');
  change(kq, WAKE_IDENT, USER, 0, NOTE_TRIGGER);
  assert.equal(poll(kq).n, 1);
  assert.equal(changeErr(kq, 12345, USER, 0, NOTE_TRIGGER), C.ENOENT);
});

test('EVFILT_USER without EV_CLEAR stays triggered; user fflags and EV_DELETE', (t) => {
  const kq = newKq(t);
  assert.equal(change(kq, 1, USER, EV_ADD, 0x12, 0, 3), 0);
  assert.equal(poll(kq).n, 0);
  change(kq, 1, USER, 0, NOTE_TRIGGER | 0x80000000 /* NOTE_FFOR */ | 0x01, 0, 3);
  for (let i = 0; i < 2; i++) {
    const r = poll(kq);
    assert.equal(r.n, 1);
    assert.equal(r.ev.ident(0), 1);
    assert.equal(r.ev.fflags(0), 0x13);
    assert.equal(r.ev.udata(0), 3);
  }
  assert.equal(change(kq, 1, USER, EV_DELETE), 0);
  assert.equal(poll(kq).n, 0);
  // EV_ADD with NOTE_TRIGGER triggers at once; EV_ONESHOT deletes after delivery.
  assert.equal(change(kq, 2, USER, EV_ADD | EV_ONESHOT, NOTE_TRIGGER), 0);
  assert.equal(poll(kq).n, 1);
  assert.equal(poll(kq).n, 0);
  assert.throws(() => ukqueueUserEventFd(kq, 2), (e: unknown) => e instanceof SyscallError && e.code === 'ENOENT');
  // EV_DISABLE holds a trigger back until EV_ENABLE; EV_CLEAR in a change un-triggers.
  change(kq, 3, USER, EV_ADD | EV_CLEAR | EV_DISABLE);
  change(kq, 3, USER, 0, NOTE_TRIGGER);
  assert.equal(poll(kq).n, 0);
  change(kq, 3, USER, EV_ENABLE);
  assert.equal(poll(kq).n, 1);
  change(kq, 3, USER, 0, NOTE_TRIGGER);
  change(kq, 3, USER, EV_CLEAR);
  assert.equal(poll(kq).n, 0);
});

test('EVFILT_USER: a trigger through ukqueueUserEventFd from a Worker wakes a kevent blocked with no timeout', async (t) => {
  const kq = newKq(t);
  change(kq, WAKE_IDENT, USER, EV_ADD | EV_CLEAR);
  const efd = ukqueueUserEventFd(kq, WAKE_IDENT);
  const sab = new SharedArrayBuffer(8);
  const flag = new Int32Array(sab);
  const worker = new Worker(`
    const { workerData } = require('node:worker_threads');
    const { writeSync } = require('node:fs');
    const flag = new Int32Array(workerData.sab);
    Atomics.wait(flag, 0, 0, 10000);   // until the main thread is about to block
    Atomics.wait(flag, 1, 0, 100);     // then let it block for a while
    const one = Buffer.alloc(8);
    one.writeBigUInt64LE(1n);
    writeSync(workerData.efd, one);
  `, { eval: true, workerData: { sab, efd } });
  await once(worker, 'online');
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  const t0 = performance.now();
  const r = poll(kq, 4, null);
  const waited = performance.now() - t0;
  assert.equal(r.n, 1);
  assert.equal(r.ev.ident(0), WAKE_IDENT);
  assert.equal(r.ev.filter(0), USER);
  assert.ok(waited >= 50, `blocked until the worker's trigger (${waited.toFixed(1)} ms)`);
  assert.ok(waited < 2000);
  await once(worker, 'exit');
  assert.equal(poll(kq).n, 0, 'EV_CLEAR reset the eventfd');
});

test('timeouts: {0,0} returns at once, 50 ms waits at least 50 ms', (t) => {
  const kq = newKq(t);
  let t0 = performance.now();
  assert.equal(poll(kq, 4, NOW).n, 0);
  assert.ok(performance.now() - t0 < 2000);
  t0 = performance.now();
  assert.equal(poll(kq, 4, timespec(0, 50_000_000)).n, 0);
  const waited = performance.now() - t0;
  assert.ok(waited >= 49.5 && waited < 2000, `waited ${waited.toFixed(2)} ms`);
  // A sub-millisecond timeout still waits (rounded up), never returns early.
  t0 = performance.now();
  assert.equal(poll(kq, 4, timespec(0, 300_000)).n, 0);
  assert.ok(performance.now() - t0 >= 0.29);
  // A pending event ends a long wait at once.
  const [rd, wr] = pipe(t);
  change(kq, rd, READ, EV_ADD);
  send(wr, 'x');
  t0 = performance.now();
  assert.equal(poll(kq, 4, timespec(30, 0)).n, 1);
  assert.ok(performance.now() - t0 < 2000);
});

test('the kq descriptor polls readable in another epoll while an event is pending', (t) => {
  const kq = newKq(t);
  const ep = epoll!.epollCreate1(EPOLL_CLOEXEC);
  assert.ok(ep >= 0);
  fds(t, ep);
  const reg = new EpollEventBuffer(1);
  reg.set(0, EPOLLIN, 0, kq);
  assert.equal(epoll!.epollCtl(ep, EPOLL_CTL_ADD, kq, reg.bytes), 0);
  const out = new EpollEventBuffer(4);
  const [rd, wr] = pipe(t);
  change(kq, rd, READ, EV_ADD | EV_CLEAR);
  change(kq, 99, USER, EV_ADD | EV_CLEAR);
  assert.equal(epoll!.epollWait(ep, out.bytes, 4, 0), 0);
  send(wr, 'x');
  assert.equal(epoll!.epollWait(ep, out.bytes, 4, 0), 1);
  assert.equal(out.dataLow(0), kq);
  assert.equal(poll(kq).n, 1);
  assert.equal(epoll!.epollWait(ep, out.bytes, 4, 0), 0, 'harvested: no longer readable');
  change(kq, 99, USER, 0, NOTE_TRIGGER);
  assert.equal(epoll!.epollWait(ep, out.bytes, 4, 0), 1, 'a user trigger makes it readable');
  assert.equal(poll(kq).n, 1);
  assert.equal(epoll!.epollWait(ep, out.bytes, 4, 0), 0);
});

test('udata round-trips all 8 bytes, including a sentinel with the high bits set', (t) => {
  const kq = newKq(t);
  const [rd, wr] = pipe(t);
  const ch = new KeventBuffer(2);
  ch.set(0, rd, READ, EV_ADD, 0, 0, 0);
  ch.view.setUint32(KEVENT.udata, 0xdeadbeef, true);
  ch.view.setUint32(KEVENT.udata + 4, 0xffffffff, true);
  ch.set(1, 5, USER, EV_ADD | EV_CLEAR, NOTE_TRIGGER, 0, 2 ** 53 - 1);
  assert.equal(ukqueue.kevent(kq, ch.bytes, 2, null, 0, null), 0);
  send(wr, 'x');
  const { n, ev } = poll(kq);
  assert.equal(n, 2);
  const i = ev.filter(0) === READ ? 0 : 1;
  assert.equal(ev.view.getUint32(i * KEVENT.size + KEVENT.udata, true), 0xdeadbeef);
  assert.equal(ev.udataHigh(i), 0xffffffff);
  assert.equal(ev.udata(1 - i), 2 ** 53 - 1);
});

test('a small event list takes a batch; the rest comes on the next call', (t) => {
  const kq = newKq(t);
  const pipes = Array.from({ length: 6 }, () => pipe(t));
  for (const [rd, wr] of pipes) { change(kq, rd, READ, EV_ADD | EV_CLEAR, 0, 0, rd); send(wr, 'x'); }
  change(kq, 1, USER, EV_ADD | EV_CLEAR, NOTE_TRIGGER);
  const seen = new Set<number>();
  for (let round = 0; round < 4; round++) {
    const { n, ev } = poll(kq, 3);
    assert.ok(n >= 0 && n <= 3);
    for (let i = 0; i < n; i++) seen.add(ev.filter(i) === USER ? -1 : ev.ident(i));
  }
  assert.equal(seen.size, 7);
  assert.equal(poll(kq).n, 0);
});

test('a descriptor closed and its number reused can be added again', (t) => {
  const kq = newKq(t);
  const [rd, wr] = pipe(t);
  change(kq, rd, READ, EV_ADD, 0, 0, 1);
  closeFd(rd);
  closeFd(wr);
  const [rd2, wr2] = pipe(t);
  assert.equal(rd2, rd, 'the lowest free number is reused');
  assert.equal(change(kq, rd2, READ, EV_ADD, 0, 0, 2), 0);
  send(wr2, 'x');
  const { n, ev } = poll(kq);
  assert.equal(n, 1);
  assert.equal(ev.ident(0), rd2);
  assert.equal(ev.udata(0), 2);
  // A stale knote for a closed descriptor answers EBADF, as BSD does.
  const [rd3, wr3] = pipe(t);
  change(kq, rd3, READ, EV_ADD);
  closeFd(rd3);
  closeFd(wr3);
  assert.equal(changeErr(kq, rd3, READ, EV_DELETE), C.EBADF);
});

test('bad inputs: not a kqueue, negative counts, short buffers, bad timespecs', (t) => {
  const kq = newKq(t);
  const [rd] = pipe(t);
  const ev = new KeventBuffer(2);
  assert.equal(ukqueue.kevent(rd, null, 0, ev.bytes, 2, NOW), -C.EBADF);
  assert.equal(ukqueue.kevent(-1, null, 0, ev.bytes, 2, NOW), -C.EBADF);
  assert.equal(ukqueue.closeKqueue(rd), -C.EBADF);
  assert.equal(ukqueue.kevent(kq, null, -1, ev.bytes, 2, NOW), -C.EINVAL);
  assert.equal(ukqueue.kevent(kq, null, 0, ev.bytes, -2, NOW), -C.EINVAL);
  assert.throws(() => ukqueue.kevent(kq, null, 0, ev.bytes, 3, NOW), RangeError);
  assert.throws(() => ukqueue.kevent(kq, null, 0, null, 1, NOW), RangeError);
  assert.throws(() => ukqueue.kevent(kq, null, 1, ev.bytes, 2, NOW), RangeError);
  assert.throws(() => ukqueue.kevent(kq, new Uint8Array(31), 1, null, 0, null), RangeError);
  assert.throws(() => ukqueue.kevent(kq, null, 0, ev.bytes, 2, new Uint8Array(8)), RangeError);
  assert.throws(() => ukqueue.kevent(kq, null, 0.5, ev.bytes, 2, NOW), RangeError);
  assert.equal(ukqueue.kevent(kq, null, 0, ev.bytes, 2, timespec(0, 1_000_000_000)), -C.EINVAL);
  assert.equal(ukqueue.kevent(kq, null, 0, ev.bytes, 2, timespec(0, -1)), -C.EINVAL);
  assert.equal(ukqueue.kevent(kq, null, 0, ev.bytes, 2, timespec(-1, 0)), -C.EINVAL);
  // No event list: nothing to wait for, the timeout is not looked at.
  assert.equal(ukqueue.kevent(kq, null, 0, null, 0, timespec(-1, 0)), 0);
  // A kq cannot watch itself; filter 0 is skipped.
  assert.equal(changeErr(kq, kq, READ, EV_ADD), C.EINVAL);
  assert.equal(change(kq, rd, 0, EV_ADD), 0);
  assert.throws(() => ukqueueUserEventFd(kq, 4242), (e: unknown) => e instanceof SyscallError && e.code === 'ENOENT');
  assert.throws(() => ukqueueUserEventFd(rd, 4242), (e: unknown) => e instanceof SyscallError && e.code === 'EBADF');
});

test('closeKqueue releases every descriptor; later calls are EBADF', (t) => {
  const [rd, wr] = pipe(t);
  const before = openFds();
  const kq = ukqueue.kqueue();
  assert.ok(kq >= 0);
  change(kq, rd, READ, EV_ADD);
  change(kq, wr, WRITE, EV_ADD | EV_CLEAR);
  for (let id = 1; id <= 5; id++) change(kq, id, USER, EV_ADD | EV_CLEAR, id & 1 ? NOTE_TRIGGER : 0);
  assert.ok(openFds() >= before + 3 + 5);
  assert.equal(ukqueue.closeKqueue(kq), 0);
  assert.equal(openFds(), before);
  assert.equal(ukqueue.closeKqueue(kq), -C.EBADF);
  const ev = new KeventBuffer(1);
  assert.equal(ukqueue.kevent(kq, null, 0, ev.bytes, 1, NOW), -C.EBADF);
  assert.throws(() => ukqueueUserEventFd(kq, 1), SyscallError);
});
