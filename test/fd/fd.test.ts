import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { DEFAULT_BUDGET, FD, MAX_RW, NoDeadlineError, rwChunk, setBudget, setTimeSlice } from '../../src/fd/index.ts';
import { DEFAULT_TIME_SLICE_MS, spend } from '../../src/netpoll/budget.ts';
import { seesLoopTimers } from '../../src/netpoll/loop-timers.ts';
import { DeadlineExceededError, NetClosingError, Netpoll, NotPollableError } from '../../src/netpoll/index.ts';
import { tokenOf } from '../../src/netpoll/poll-cache.ts';
import { C } from '../../src/sys/constants.ts';
import { nonblockingPipe } from '../../src/sys/descriptors.ts';
import { write as sysWrite } from '../../src/sys/libc.ts';
import { SyscallError } from '../../src/sys/syscall-error.ts';
import { codeOf, settledWithin, sleep } from '../helpers/async.ts';
import { backends } from '../helpers/backends.ts';
import { closeRaw, fdIsOpen, isNonblockCloexec, openFdCount, socketPair } from '../helpers/fds.ts';
import { closedPort, loopback4, portOf, tcpListener, tcpSocket } from '../helpers/sockets.ts';

const isClosedErr = (e: unknown): boolean => e instanceof NetClosingError && codeOf(e) === 'ERR_NETPOLL_CLOSED';
const isTimeout = (e: unknown): boolean => e instanceof DeadlineExceededError && codeOf(e) === 'ETIMEDOUT';

for (const backend of backends) {
  describe(`FD (${backend})`, () => {
    let np: Netpoll;
    let fds: FD[];
    const fd = (sysfd: number, opts: ConstructorParameters<typeof FD>[1] = {}): FD => {
      const f = new FD(sysfd, { netpoll: np, ...opts });
      fds.push(f);
      return f;
    };
    const pair = (): [FD, FD] => { const [a, b] = socketPair(); return [fd(a), fd(b)]; };
    /** Fills a's send buffer (and the peer's receive buffer) until write(2) gives EAGAIN. */
    const fill = (a: FD): number => {
      const chunk = new Uint8Array(1 << 16);
      let total = 0;
      for (;;) {
        const n = sysWrite(a.sysfd, chunk, chunk.length);
        if (n < 0) { assert.equal(n, -C.EAGAIN); return total; }
        total += n;
      }
    };

    beforeEach(() => { np = new Netpoll({ backend }); fds = []; });
    afterEach(async () => {
      for (const f of fds) if (!f.closed) await f.close();
      np.shutdown();
    });

    test('read and write move bytes; a parked read wakes on data', async () => {
      const [a, b] = pair();
      const buf = new Uint8Array(16);
      const p = b.read(buf);
      assert.equal(await settledWithin(p, 20), 'pending');
      assert.equal(await a.write(new TextEncoder().encode('hello')), 5);
      assert.equal(await p, 5);
      assert.equal(new TextDecoder().decode(buf.subarray(0, 5)), 'hello');
      // offset and length land where asked
      await a.write(new Uint8Array([1, 2, 3, 4, 5, 6]), 2, 3);
      const big = new Uint8Array(10);
      assert.equal(await b.read(big, 4, 6), 3);
      assert.deepEqual([...big], [0, 0, 0, 0, 3, 4, 5, 0, 0, 0]);
    });

    test('reads and writes parked on many descriptors at once each complete with their own bytes and counts', async () => {
      // Operation records are shared between operations one after another, never between two in flight.
      const pairs = Array.from({ length: 8 }, () => pair());
      for (let round = 0; round < 3; round++) {
        const reads = pairs.map(([a]) => a.readChunk());
        const bufs = pairs.map(([a]) => new Uint8Array(4));
        const plainReads = pairs.map(([, b], i) => b.read(bufs[i]!));
        const writes = pairs.map(([, b], i) => b.write(new Uint8Array([round, i, 1])));
        const back = pairs.map(([a], i) => a.write(new Uint8Array([round, i, 2, 9])));
        assert.deepEqual(await Promise.all(writes), pairs.map(() => 3));
        assert.deepEqual(await Promise.all(back), pairs.map(() => 4));
        const chunks = await Promise.all(reads);
        chunks.forEach((c, i) => assert.deepEqual(c, new Uint8Array([round, i, 1])));
        assert.deepEqual(await Promise.all(plainReads), pairs.map(() => 4));
        bufs.forEach((b, i) => assert.deepEqual(b, new Uint8Array([round, i, 2, 9])));
      }
    });

    test('bounds are checked before any syscall', async () => {
      const [a] = pair();
      await assert.rejects(a.read(new Uint8Array(4), 2, 3), RangeError);
      await assert.rejects(a.read(new Uint8Array(4), 5), RangeError);
      await assert.rejects(a.write(new Uint8Array(4), -1, 1), RangeError);
      await assert.rejects(a.write(new Uint8Array(4), 0, 5), RangeError);
    });

    test('close wakes a parked read, write and accept with the closed error', async () => {
      const [a] = pair();
      const [c] = pair();
      fill(c);
      const ln = fd(tcpListener().fd);
      const r = a.read(new Uint8Array(8));
      const w = c.write(new Uint8Array(1 << 16));
      const acc = ln.accept();
      assert.equal(await settledWithin(Promise.race([r, w, acc]), 20), 'pending');
      await Promise.all([a.close(), c.close(), ln.close()]);
      for (const p of [r, w, acc]) {
        await assert.rejects(p, (e: unknown) => isClosedErr(e) && !(e as { timeout: boolean }).timeout
          && (e as Error).message === 'use of closed network connection');
      }
    });

    test('close resolves after in-flight operations let go; close(2) once, after disarm', async () => {
      const [a, b] = pair();
      const sysfd = a.sysfd;
      const before = np.size;
      let readSettled = false;
      const r = a.read(new Uint8Array(8)).catch((e: unknown) => { readSettled = true; return e; });
      await sleep(5);
      const c = a.close();
      assert.equal(a.closed, true);
      await c;
      assert.equal(readSettled, true, 'close resolved before the parked read let go');
      assert.ok(isClosedErr(await r));
      assert.equal(a.sysfd, -1);
      assert.equal(np.size, before - 1, 'pd released');
      assert.equal(fdIsOpen(sysfd), false);
      // The number is free for reuse; the old FD never touches the new descriptor.
      const [p0, p1] = nonblockingPipe();
      const reused = [p0, p1].includes(sysfd);
      await assert.rejects(a.close(), NetClosingError);
      await assert.rejects(a.read(new Uint8Array(1)), NetClosingError);
      assert.ok(fdIsOpen(p0) && fdIsOpen(p1), `reused=${reused}`);
      closeRaw(p0); closeRaw(p1);
      void b;
    });

    test('a second close and every operation after close fail at once with the closed error', async () => {
      const [a] = pair();
      const ln = fd(tcpListener().fd);
      await a.close();
      await ln.close();
      await assert.rejects(a.close(), NetClosingError);
      await assert.rejects(a.read(new Uint8Array(4)), NetClosingError);
      await assert.rejects(a.read(new Uint8Array(4), 0, 0), NetClosingError);
      await assert.rejects(a.write(new Uint8Array(4)), (e: unknown) => isClosedErr(e) && (e as { bytesWritten: number }).bytesWritten === 0);
      await assert.rejects(a.writev([new Uint8Array(4)]), NetClosingError);
      await assert.rejects(ln.accept(), NetClosingError);
      await assert.rejects(a.connect(loopback4(1), 16), NetClosingError);
      await assert.rejects(a.waitRead(), NetClosingError);
      assert.throws(() => a.setDeadline(Date.now() + 1000), NetClosingError);
      assert.throws(() => a.setReadDeadline(null), NetClosingError);
      assert.throws(() => a.shutdown('w'), NetClosingError);
      assert.throws(() => a.getsockname(), NetClosingError);
      assert.throws(() => a.getsockoptInt(C.SOL_SOCKET, C.SO_TYPE), NetClosingError);
    });

    test('a read queued behind a parked read is released with the closed error by close', async () => {
      const [a] = pair();
      const r1 = a.read(new Uint8Array(8));
      const r2 = a.read(new Uint8Array(8));
      const w1 = a.write(new Uint8Array(1)); // a write runs beside the parked read
      assert.equal(await w1, 1);
      assert.equal(await settledWithin(Promise.race([r1, r2]), 20), 'pending');
      await a.close();
      await assert.rejects(r1, NetClosingError);
      await assert.rejects(r2, NetClosingError);
    });

    test('a second read waits for the first; both complete in order', async () => {
      const [a, b] = pair();
      const b1 = new Uint8Array(3), b2 = new Uint8Array(3);
      const order: number[] = [];
      const r1 = a.read(b1).then((n) => { order.push(1); return n; });
      const r2 = a.read(b2).then((n) => { order.push(2); return n; });
      await b.write(new Uint8Array([1, 2, 3]));
      assert.equal(await r1, 3);
      await b.write(new Uint8Array([4, 5, 6]));
      assert.equal(await r2, 3);
      assert.deepEqual(order, [1, 2]);
      assert.deepEqual([...b1, ...b2], [1, 2, 3, 4, 5, 6]);
    });

    test('close of a blocking-mode FD does not wait for operations in flight', async () => {
      const [s0, s1] = socketPair();
      const f = fd(s0, { pollable: false });
      assert.equal(f.isBlocking, true);
      assert.throws(() => f.setDeadline(Date.now() + 10), NoDeadlineError);
      // An operation in flight, held by its reference (blocking reads would block the test's thread).
      const mu = (f as unknown as { mu: { incref(): boolean; decref(): boolean } }).mu;
      assert.ok(mu.incref());
      await f.close(); // resolves although a reference is out
      assert.equal(fdIsOpen(s0), true, 'close(2) waits for the last reference');
      assert.equal(mu.decref(), true);
      (f as unknown as { destroy(): void }).destroy();
      assert.equal(fdIsOpen(s0), false);
      closeRaw(s1);
    });

    test('closing a pipe end while its writer (or reader) is parked gives the closed error, never success', async () => {
      const [r0, w0] = nonblockingPipe();
      const rd = fd(r0), wr = fd(w0);
      fill(wr);
      const w = wr.write(new Uint8Array(1 << 16));
      await sleep(5);
      await wr.close();
      await assert.rejects(w, NetClosingError);
      const [r1, w1] = nonblockingPipe();
      const rd2 = fd(r1); fd(w1);
      const r = rd2.read(new Uint8Array(4));
      await sleep(5);
      await rd2.close();
      await assert.rejects(r, NetClosingError);
      void rd;
    });

    test('a zero-length read returns 0 without a syscall, even past its deadline; after close, the closed error', async () => {
      const [a] = pair();
      a.setReadDeadline(Date.now() - 1000);
      assert.equal(await a.read(new Uint8Array(4), 0, 0), 0);
      assert.equal(await a.read(new Uint8Array(0)), 0);
      await assert.rejects(a.read(new Uint8Array(4)), DeadlineExceededError);
      await a.close();
      await assert.rejects(a.read(new Uint8Array(0)), NetClosingError);
    });

    test('stream EOF is null; a datagram 0-byte payload is 0; a small buffer truncates', async () => {
      const [a, b] = pair();
      await b.write(new Uint8Array([9]));
      await b.close();
      assert.equal(await a.read(new Uint8Array(4)), 1);
      assert.equal(await a.read(new Uint8Array(4)), null);
      assert.equal(await a.read(new Uint8Array(4)), null);
      const [d0, d1] = socketPair(C.SOCK_DGRAM);
      const x = fd(d0, { isStream: false, zeroReadIsEOF: false }), y = fd(d1, { isStream: false, zeroReadIsEOF: false });
      assert.equal(await y.write(new Uint8Array(0)), 0);
      assert.equal(await x.read(new Uint8Array(4)), 0);
      await y.write(new Uint8Array([1, 2, 3, 4, 5, 6]));
      const small = new Uint8Array(2);
      assert.equal(await x.read(small), 2);
      assert.deepEqual([...small], [1, 2]);
    });

    test('peer close wakes a parked read with EOF', async () => {
      const [a, b] = pair();
      const r = a.read(new Uint8Array(4));
      await sleep(5);
      await b.close();
      assert.equal(await r, null);
    });

    test('shutdown: peer reads EOF after shutdown(w); a local write then fails (EPIPE, no SIGPIPE)', async () => {
      const [a, b] = pair();
      a.shutdown('w');
      assert.equal(await b.read(new Uint8Array(4)), null);
      await assert.rejects(a.write(new Uint8Array(1)), (e: unknown) => e instanceof SyscallError && e.code === 'EPIPE');
      assert.throws(() => a.shutdown('x' as 'r'), RangeError);
    });

    test('write loops across EAGAIN until every byte is written', async () => {
      const [a, b] = pair();
      const size = 4 << 20;
      const src = new Uint8Array(size);
      for (let i = 0; i < size; i++) src[i] = (i * 7) & 0xff;
      const w = a.write(src);
      const dst = new Uint8Array(size);
      let got = 0;
      while (got < size) {
        const n = await b.read(dst, got, Math.min(size - got, 100_000));
        assert.ok(n !== null && n > 0);
        got += n;
      }
      assert.equal(await w, size);
      assert.deepEqual(Buffer.compare(dst, src), 0);
    });

    test('tryWrite: all of it at once, 0 on a full buffer, -1 when it cannot try (write lock held, closed)', async () => {
      const [a, b] = pair();
      const msg = new TextEncoder().encode('xxhelloyy');
      assert.equal(a.tryWrite(msg, 2, 5), 5);
      const buf = new Uint8Array(16);
      assert.equal(await b.read(buf), 5);
      assert.equal(new TextDecoder().decode(buf.subarray(0, 5)), 'hello');
      assert.equal(a.tryWrite(msg, 0, 0), -1, 'an empty write is left to write()');
      for (const [off, len] of [[0, msg.length + 1], [msg.length, 1], [-1, 2], [0, Number.NaN]] as const) {
        assert.throws(() => a.tryWrite(msg, off, len), RangeError, `offset ${off}, length ${len}: past the buffer`);
      }
      // Full: the kernel takes nothing; a write() parked on the full buffer holds the write lock.
      const filled = fill(a);
      assert.equal(a.tryWrite(msg, 0, msg.length), 0);
      const parked = a.write(msg);
      assert.equal(await settledWithin(parked, 20), 'pending');
      assert.equal(a.tryWrite(msg, 0, msg.length), -1, 'another write holds the lock');
      const sink = new Uint8Array(1 << 16);
      let drained = 0;
      while (drained < filled + msg.length) drained += (await b.read(sink)) ?? 0;
      assert.equal(await parked, msg.length);
      await a.close();
      assert.equal(a.tryWrite(msg, 0, msg.length), -1, 'closed: write() says why');
      await assert.rejects(a.write(msg), isClosedErr);
    });

    test('writev writes every buffer, partial rounds included', async () => {
      const [a, b] = pair();
      const parts = [new Uint8Array(0), new Uint8Array(300_000).fill(1), new Uint8Array([2, 3]), new Uint8Array(2_000_000).fill(4)];
      const total = parts.reduce((s, p) => s + p.length, 0);
      const w = a.writev(parts);
      const dst = new Uint8Array(total);
      let got = 0;
      while (got < total) got += (await b.read(dst, got))!;
      assert.equal(await w, total);
      assert.deepEqual(Buffer.compare(dst, Buffer.concat(parts)), 0);
      assert.equal(await a.writev([]), 0);
    });

    test('stream I/O issues at most 1 GiB per syscall', () => {
      assert.equal(MAX_RW, 1 << 30);
      assert.equal(rwChunk(5, true), 5);
      assert.equal(rwChunk((1 << 30) + 1, true), 1 << 30);
      assert.equal(rwChunk(3 * (1 << 30), true), 1 << 30);
      assert.equal(rwChunk((1 << 30) + 1, false), (1 << 30) + 1);
    });

    test('zero deadline: a read with no data blocks', async () => {
      const [a] = pair();
      a.setReadDeadline(null);
      assert.equal(await settledWithin(a.read(new Uint8Array(4)), 100), 'pending');
    });

    test('a past deadline fails read, write and accept at once, twice, even with data pending', async () => {
      const [a, b] = pair();
      await b.write(new Uint8Array([1]));
      const ln = fd(tcpListener().fd);
      const c = fd(tcpSocket());
      await c.connect(loopback4(portOf(ln.getsockname())), 16);
      await sleep(5);
      a.setDeadline(Date.now() - 1);
      ln.setDeadline(new Date(Date.now() - 1000));
      for (let i = 0; i < 2; i++) {
        await assert.rejects(a.read(new Uint8Array(4)), isTimeout);
        await assert.rejects(a.write(new Uint8Array(4)), (e: unknown) => isTimeout(e) && (e as { bytesWritten: number }).bytesWritten === 0);
        await assert.rejects(ln.accept(), isTimeout);
      }
    });

    test('a +50 ms deadline: reads succeed until it expires, then time out with nothing read, and keep failing', async () => {
      const [a, b] = pair();
      a.setReadDeadline(Date.now() + 50);
      await b.write(new Uint8Array([1, 2]));
      assert.equal(await a.read(new Uint8Array(4)), 2);
      const t0 = performance.now();
      await assert.rejects(a.read(new Uint8Array(4)), isTimeout);
      assert.ok(performance.now() - t0 >= 20);
      await b.write(new Uint8Array([3]));
      await assert.rejects(a.read(new Uint8Array(4)), isTimeout);
      // Write: +10 ms, the buffer fills, the write times out.
      const [c] = pair();
      c.setWriteDeadline(Date.now() + 10);
      await assert.rejects(c.write(new Uint8Array(8 << 20)), isTimeout);
      await assert.rejects(c.write(new Uint8Array(1)), isTimeout);
    });

    test('a past read deadline set while a read is parked wakes it with a timeout', async () => {
      const [a] = pair();
      const r = a.read(new Uint8Array(4));
      await sleep(5);
      a.setReadDeadline(Date.now() - 1);
      await assert.rejects(r, isTimeout);
    });

    test('a past deadline then a zero deadline: the next read blocks again', async () => {
      const [a] = pair();
      a.setDeadline(Date.now() - 1);
      await assert.rejects(a.read(new Uint8Array(4)), isTimeout);
      a.setDeadline(null);
      assert.equal(await settledWithin(a.read(new Uint8Array(4)), 100), 'pending');
    });

    test('a past SetDeadline then SetReadDeadline(zero): reads block, writes fail; and the other way round', async () => {
      const [a] = pair();
      a.setDeadline(Date.now() - 1);
      a.setReadDeadline(null);
      await assert.rejects(a.write(new Uint8Array(1)), isTimeout);
      assert.equal(await settledWithin(a.read(new Uint8Array(4)), 50), 'pending');
      const [c] = pair();
      fill(c);
      c.setDeadline(Date.now() - 1);
      c.setWriteDeadline(null);
      await assert.rejects(c.read(new Uint8Array(1)), isTimeout);
      assert.equal(await settledWithin(c.write(new Uint8Array(1 << 16)), 50), 'pending');
    });

    test('moving a deadline later while a read is parked keeps it parked until the new instant', async () => {
      const [a] = pair();
      a.setReadDeadline(Date.now() + 30);
      const t0 = performance.now();
      const r = a.read(new Uint8Array(4));
      await sleep(5);
      a.setReadDeadline(Date.now() + 150);
      await assert.rejects(r, isTimeout);
      assert.ok(performance.now() - t0 >= 120, `expired after ${performance.now() - t0} ms`);
    });

    test('a write timeout may report n > 0 bytes with the timeout', async () => {
      const [a] = pair();
      a.setWriteDeadline(Date.now() + 30);
      const err = await a.write(new Uint8Array(16 << 20)).then(() => null, (e: unknown) => e);
      assert.ok(isTimeout(err));
      const n = (err as { bytesWritten: number }).bytesWritten;
      assert.ok(n > 0 && n < 16 << 20, `bytesWritten ${n}`);
    });

    test('deadlines on a blocking-mode FD are refused (ErrNoDeadline)', async () => {
      const [s0, s1] = socketPair();
      const f = fd(s0, { pollable: false });
      assert.throws(() => f.setReadDeadline(Date.now() + 10), (e: unknown) => e instanceof NoDeadlineError);
      await f.close();
      closeRaw(s1);
    });

    test('accept takes connections non-blocking and close-on-exec; an accept deadline times out', async () => {
      const { fd: lfd, port } = tcpListener();
      const ln = fd(lfd);
      ln.setReadDeadline(Date.now() + 30);
      await assert.rejects(ln.accept(), isTimeout);
      ln.setReadDeadline(null);
      const acc = ln.accept();
      const c = fd(tcpSocket());
      await c.connect(loopback4(port), 16);
      const { sysfd, sockaddr } = await acc;
      assert.ok(isNonblockCloexec(sysfd));
      assert.equal(sockaddr.length, 16);
      assert.equal(portOf(sockaddr), portOf(c.getsockname()));
      const s = fd(sysfd);
      assert.equal(portOf(s.getpeername()), portOf(c.getsockname()));
      await c.write(new Uint8Array([42]));
      const one = new Uint8Array(1);
      assert.equal(await s.read(one), 1);
      assert.equal(one[0], 42);
    });

    test('connect: EINPROGRESS, wait writable, SO_ERROR, getpeername', async () => {
      const { fd: lfd, port } = tcpListener();
      fd(lfd);
      const c = fd(tcpSocket());
      assert.ok(isNonblockCloexec(c.sysfd));
      await c.connect(loopback4(port), 16);
      assert.equal(portOf(c.getpeername()), port);
      assert.equal(c.getsockoptInt(C.SOL_SOCKET, C.SO_ERROR), 0);
      c.setsockoptInt(C.IPPROTO_TCP, C.TCP_NODELAY, 1);
      assert.notEqual(c.getsockoptInt(C.IPPROTO_TCP, C.TCP_NODELAY), 0);
    });

    test('connect to a closed port is ECONNREFUSED from "connect"', async () => {
      const c = fd(tcpSocket());
      await assert.rejects(c.connect(loopback4(closedPort()), 16),
        (e: unknown) => e instanceof SyscallError && e.code === 'ECONNREFUSED' && e.syscall === 'connect');
    });

    test('an aborted connect rejects with the reason; the FD still closes', async () => {
      const { fd: lfd, port } = tcpListener(1);
      fd(lfd);
      // Fill the backlog so a further connect stays in SYN_SENT.
      const fillers: FD[] = [];
      for (let i = 0; i < 8; i++) {
        const f = fd(tcpSocket());
        fillers.push(f);
        await settledWithin(f.connect(loopback4(port), 16), 30);
      }
      const c = fd(tcpSocket());
      const ac = new AbortController();
      const p = c.connect(loopback4(port), 16, ac.signal);
      const reason = new Error('cancelled');
      setTimeout(() => ac.abort(reason), 20);
      const r = await settledWithin(p, 2000);
      // Either the abort landed while connecting, or the kernel completed it first.
      if (r !== 'pending' && 'error' in r) assert.equal(r.error, reason);
      await c.close();
      assert.equal(c.sysfd, -1);
    });

    test('abort signals reject parked reads and waits with the reason; the FD stays usable', async () => {
      const [a, b] = pair();
      const ac = new AbortController();
      const r = a.read(new Uint8Array(4), 0, 4, ac.signal);
      await sleep(5);
      ac.abort(new Error('enough'));
      await assert.rejects(r, /enough/);
      await b.write(new Uint8Array([7]));
      assert.equal(await a.read(new Uint8Array(4)), 1);
      const ac2 = new AbortController();
      const w = a.waitRead(ac2.signal);
      ac2.abort(new Error('again'));
      await assert.rejects(w, /again/);
    });

    test('readChunk waits holding no buffer, then hands over a chunk of its own; null at EOF', async () => {
      const [a, b] = pair();
      const p = b.readChunk();
      assert.equal(await settledWithin(p, 20), 'pending');
      await a.write(new TextEncoder().encode('hello'));
      const c = await p;
      assert.ok(c instanceof Uint8Array);
      assert.equal(new TextDecoder().decode(c), 'hello');
      assert.equal(c.byteLength, 5);
      // maxBytes caps one read; the rest waits for the next.
      await a.write(new Uint8Array(10).fill(9));
      assert.equal((await b.readChunk(4))!.length, 4);
      assert.deepEqual([...(await b.readChunk())!], [9, 9, 9, 9, 9, 9]);
      for (const bad of [0, -1, 1.5, NaN, MAX_RW + 1]) await assert.rejects(b.readChunk(bad), RangeError);
      a.shutdown('w');
      assert.equal(await b.readChunk(), null);
    });

    test('readChunk: chunks of different descriptors never share bytes, small or large', async () => {
      const pairs = [pair(), pair(), pair()];
      const reads = pairs.map(([, b]) => b.readChunk(1 << 20));
      const sizes = [3, 40_000, 100_000];
      await Promise.all(pairs.map(([a], i) => a.write(new Uint8Array(sizes[i]!).fill(i + 1))));
      const chunks = await Promise.all(reads);
      // Read again everywhere (the shared scratch is reused), then check the first chunks.
      await Promise.all(pairs.map(([a]) => a.write(new Uint8Array(64).fill(200))));
      const again = await Promise.all(pairs.map(([, b]) => b.readChunk()));
      for (const [i, c] of chunks.entries()) {
        assert.ok(c!.length > 0 && c!.length <= sizes[i]!);
        assert.ok(c!.every((x) => x === i + 1), `chunk ${i} kept its bytes`);
      }
      for (const c of again) assert.ok(c!.every((x) => x === 200 || x === 2 || x === 3));
    });

    test('readChunk honours deadlines, close and abort signals', async () => {
      const [a, b] = pair();
      b.setReadDeadline(Date.now() + 30);
      await assert.rejects(b.readChunk(), isTimeout);
      b.setReadDeadline(null);
      const ac = new AbortController();
      const r = b.readChunk(undefined, ac.signal);
      ac.abort(new Error('stop'));
      await assert.rejects(r, /stop/);
      const parked = b.readChunk();
      await b.close();
      await assert.rejects(parked, isClosedErr);
      await assert.rejects(a.readChunk(1 << 31), RangeError);
    });

    test('an operation put off by the budget can be aborted while queued; the next one works', async () => {
      const [a, b] = pair();
      setBudget(1);
      try {
        await a.write(new Uint8Array([1])); // spends this turn's budget
        while (spend()) { /* and the grace a drain that resumed this task may have granted */ }
        const ac = new AbortController();
        const r = b.read(new Uint8Array(4), 0, 4, ac.signal); // queued for the next turn
        ac.abort(new Error('gone'));
        await assert.rejects(r, /gone/);
        assert.equal(await b.read(new Uint8Array(4)), 1, 'the aborted read took nothing');
        const w = a.write(new Uint8Array([2]), 0, 1, ac.signal);
        await assert.rejects(w, /gone/);
      } finally {
        setBudget(DEFAULT_BUDGET);
      }
    });

    test('a buffer detached while its read waits fails that read only; the Netpoll and the FD go on', async () => {
      const [a, b] = pair();
      const [c, d] = pair();
      const bystander = c.read(new Uint8Array(8));
      const ab = new ArrayBuffer(64);
      const r = a.read(new Uint8Array(ab), 8, 16);
      await sleep(5);
      structuredClone(ab, { transfer: [ab] }); // detaches ab
      await b.write(new TextEncoder().encode('hello'));
      await assert.rejects(r, RangeError);
      assert.equal(np.closed, false);
      await d.write(new Uint8Array([1, 2]));
      assert.equal(await bystander, 2);
      assert.equal(await a.read(new Uint8Array(8)), 5, 'the bytes are still there for the next read');
    });

    test('one signal aborts a parked operation and the ones queued behind it on the lock', async () => {
      const [a] = pair();
      const [, d] = pair();
      const ac = new AbortController();
      const w1 = a.write(new Uint8Array(8 << 20), 0, 8 << 20, ac.signal); // parks: nobody reads the peer
      const w2 = a.write(new Uint8Array(1 << 20), 0, 1 << 20, ac.signal); // queued on the write lock
      const r1 = d.read(new Uint8Array(4), 0, 4, ac.signal);
      const r2 = d.read(new Uint8Array(4), 0, 4, ac.signal);
      await sleep(10);
      ac.abort(new Error('cancel all'));
      for (const p of [w1, w2, r1, r2]) await assert.rejects(p, /cancel all/);
      // A frozen reason cannot carry bytesWritten; it is passed on as it is.
      const ac2 = new AbortController();
      const w3 = a.write(new Uint8Array(1 << 20), 0, 1 << 20, ac2.signal);
      await sleep(5);
      const frozen = Object.freeze(new Error('frozen'));
      ac2.abort(frozen);
      await assert.rejects(w3, (e) => e === frozen);
    });

    test('readChunk: a huge maxBytes neither fails nor keeps a huge buffer alive', async () => {
      const [a, b] = pair();
      const before = process.memoryUsage().arrayBuffers;
      await a.write(new Uint8Array(5).fill(1));
      const c = await b.readChunk(512 << 20);
      assert.equal(c!.length, 5);
      assert.ok(process.memoryUsage().arrayBuffers - before < 4 << 20, 'at most MAX_CHUNK (1 MiB) of scratch');
    });

    test('a parked read woken by a pure error event still retries read(2); the next operation fails', async () => {
      const [a, b] = pair();
      const r = a.read(new Uint8Array(16));
      await sleep(5);
      await b.write(new Uint8Array(5));
      await sleep(5); // the real edge came and went: the read has its data
      assert.equal(await r, 5);
      const r2 = a.read(new Uint8Array(16));
      await sleep(5);
      await b.write(new Uint8Array(3));
      // What the kernel would report as EPOLLERR / EV_ERROR for this descriptor.
      const pd = (a as unknown as { pd: { slot: number; fdseq: number } }).pd;
      np.deliver(tokenOf(pd.slot, pd.fdseq), 'r', true);
      assert.equal(await r2, 3, 'Go retries the system call after a wake-up, whatever came with it');
      await assert.rejects(a.read(new Uint8Array(1)), NotPollableError);
    });

    test('waitRead and waitWrite report readiness without consuming data', async () => {
      const [a, b] = pair();
      await a.waitWrite();
      const w = a.waitRead();
      assert.equal(await settledWithin(w, 20), 'pending');
      await b.write(new Uint8Array([1, 2]));
      await w;
      // Data already there: resolves without a new edge.
      await a.waitRead();
      assert.equal(await a.read(new Uint8Array(1)), 1);
      await a.waitRead(); // one byte left, readiness was consumed
      assert.equal(await a.read(new Uint8Array(4)), 1);
    });

    test('Netpoll shutdown fails parked operations with the closed error; close still releases the descriptor', async () => {
      const [a] = pair();
      const sysfd = a.sysfd;
      const r = a.read(new Uint8Array(4));
      await sleep(5);
      np.shutdown();
      await assert.rejects(r, NetClosingError);
      await assert.rejects(a.read(new Uint8Array(4)), NetClosingError);
      await a.close();
      assert.equal(fdIsOpen(sysfd), false);
    });

    test('fairness: a chain of reads and writes that never park still lets timers run', async () => {
      const [a, b] = pair();
      const msg = new Uint8Array(32), buf = new Uint8Array(32);
      let ticks = 0;
      const timer = setInterval(() => { ticks++; }, 5);
      const t0 = performance.now();
      try {
        while (performance.now() - t0 < 200) { await a.write(msg); await b.read(buf); }
      } finally {
        clearInterval(timer);
      }
      assert.ok(ticks >= 5, `a 5 ms interval ticked ${ticks} times in 200 ms of echo`);
    });

    test('fairness: timers stay on time under busy connections, however long the longest slice (the slice ends when a timer is due)', { skip: seesLoopTimers() ? false : 'loop timers not visible on this thread' }, async () => {
      // With a 1 s slice and no operation limit, only the timer rule can give
      // the loop back within the 300 ms the connections run.
      setTimeSlice(1000);
      setBudget(2 ** 30);
      const msg = new Uint8Array(32);
      let ticks = 0;
      const timer = setInterval(() => { ticks++; }, 5);
      const t0 = performance.now();
      try {
        // Ten connections echo without parking, ten more through the poller (each read waits for the peer's write).
        const busy = Array.from({ length: 10 }, async () => {
          const [a, b] = pair();
          const buf = new Uint8Array(32);
          while (performance.now() - t0 < 300) { await a.write(msg); await b.read(buf); }
        });
        const polled = Array.from({ length: 10 }, async () => {
          const [a, b] = pair();
          const buf = new Uint8Array(32), back = new Uint8Array(32);
          const echo = (async () => { for (;;) { const n = await b.read(buf); if (n === null || n === 0) return; await b.write(buf, 0, n); } })();
          while (performance.now() - t0 < 300) { await a.write(msg); let got = 0; while (got < 32) got += (await a.read(back, got))!; }
          await a.close();
          await echo.catch(() => undefined);
        });
        await Promise.all([...busy, ...polled]);
      } finally {
        clearInterval(timer);
        setTimeSlice(DEFAULT_TIME_SLICE_MS);
        setBudget(DEFAULT_BUDGET);
      }
      // A 1 s slice held to its length would let it tick about once.
      assert.ok(ticks >= 20, `a 5 ms interval ticked ${ticks} times in 300 ms of busy connections`);
    });

    test('1000 connections dialed together are all accepted and echo once', async () => {
      const { fd: lfd, port } = tcpListener(4096);
      const ln = fd(lfd);
      const N = 1000;
      const serve = (async () => {
        const conns: Promise<void>[] = [];
        for (let i = 0; i < N; i++) {
          const { sysfd } = await ln.accept();
          const s = fd(sysfd);
          conns.push((async () => {
            const b = new Uint8Array(8);
            const n = await s.read(b);
            await s.write(b, 0, n!);
          })());
        }
        await Promise.all(conns);
      })();
      const clients = await Promise.all(Array.from({ length: N }, async (_, i) => {
        const c = fd(tcpSocket());
        await c.connect(loopback4(port), 16);
        const msg = new Uint8Array(4);
        new DataView(msg.buffer).setUint32(0, i);
        await c.write(msg);
        const back = new Uint8Array(4);
        let got = 0;
        while (got < 4) got += (await c.read(back, got))!;
        assert.equal(new DataView(back.buffer).getUint32(0), i);
      }));
      await serve;
      assert.equal(clients.length, N);
    });

    test('descriptors are released exactly once (counted in /proc/self/fd)', async () => {
      const before = openFdCount();
      const made: FD[] = [];
      for (let i = 0; i < 50; i++) made.push(...pair());
      const parked = made.filter((_, i) => i % 2 === 0).map((f) => f.read(new Uint8Array(1)).catch(() => null));
      assert.equal(openFdCount(), before + 100);
      await Promise.all(made.map((f) => f.close()));
      await Promise.all(parked);
      assert.equal(openFdCount(), before);
      for (const f of made) await assert.rejects(f.close(), NetClosingError);
      assert.equal(openFdCount(), before);
      assert.equal(np.size, 0);
    });

    test("a Netpoll's own descriptors (its poller, its wake-up) cannot become an FD, on any Netpoll; both keep working", async () => {
      const other = new Netpoll({ backend });
      try {
        const handle = other.poller.waker();
        const own = [other.poller.fd, np.poller.fd, ...(handle.kind === 'kevent-user' ? [] : [handle.fd])];
        for (const sysfd of own) {
          assert.throws(() => new FD(sysfd, { netpoll: np }), (e: unknown) => e instanceof RangeError && /own .* poller/.test(String(e)), `fd ${sysfd}`);
          assert.ok(fdIsOpen(sysfd), `fd ${sysfd} is still open`);
        }
        assert.equal(np.size, 0);
        const [a, b] = pair();
        const r = a.read(new Uint8Array(4));
        await b.write(Uint8Array.of(7));
        assert.equal(await r, 1);
        const [c, d] = socketPair();
        const fc = new FD(c, { netpoll: other });
        const fdd = new FD(d, { netpoll: other });
        const r2 = fc.read(new Uint8Array(4));
        await fdd.write(Uint8Array.of(8));
        assert.equal(await r2, 1);
        await fc.close(); await fdd.close();
      } finally { other.shutdown(); }
    });
  });
}

test('the backend table has at least the native backend', () => {
  assert.ok(backends.length >= 1);
  assert.ok(backends.includes('epoll') || process.platform !== 'linux');
});
