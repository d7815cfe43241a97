// Read-ahead and write coalescing under PacketConn's one-datagram calls:
// whatever the batching does underneath, every datagram keeps Go's
// datagram truths (order, sender, zero-byte datagrams, truncation against
// the caller's buffer, deadlines, abort, close, ECONNREFUSED) and every
// write settles with its own result. Each behaviour runs with batching on
// and off, on both poller backends, and the two must agree.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dialPacket, isClosedError, listenPacket, OpError, PacketConn, PacketInfo } from '../../src/net/index.ts';
import { HAS_MMSG } from '../../src/sys/msg.ts';
import { sleep } from '../helpers/async.ts';
import { backendCases } from '../helpers/backends.ts';
import { fdsOpenedSince, openFds } from '../helpers/fds.ts';

/** Datagram i: its size (some empty, some longer than a 100-byte buffer) and bytes that name it. */
function datagram(i: number): Uint8Array {
  const size = i % 7 === 0 ? 0 : i % 5 === 0 ? 150 : 1 + (i % 90);
  const d = new Uint8Array(size);
  for (let j = 0; j < size; j++) d[j] = (i * 31 + j) & 255;
  if (size > 0) d[0] = i;
  return d;
}

async function closeAll(...pcs: PacketConn[]): Promise<void> {
  for (const pc of pcs) if (!pc.closed) await pc.close();
}

/** Sends datagrams first..last-1 from the two senders in turn, each awaited: all queued at s before it reads. */
async function sendBurst(s: PacketConn, a: PacketConn, b: PacketConn, first: number, last: number): Promise<void> {
  for (let i = first; i < last; i++) await (i % 3 === 0 ? b : a).writeTo(datagram(i), s.localAddr);
  await sleep(5);
}

function tmpDir(): { dir: string; done(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'netpoll-batch-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

type Make = () => import('../../src/netpoll/index.ts').Netpoll;

/** A udp reader s (with the batching of mode) and a sender a, closed after fn. */
async function withPair(make: Make, mode: Mode, fn: (s: PacketConn, a: PacketConn, np: ReturnType<Make>) => Promise<void>): Promise<void> {
  const np = make();
  const s = await listenPacket('udp', '127.0.0.1:0', { netpoll: np, ...mode });
  const a = await listenPacket('udp4', '127.0.0.1:0', { netpoll: np });
  try {
    await fn(s, a, np);
  } finally { await closeAll(s, a); np.shutdown(); }
}

const modes = [{ readAhead: true, coalesceWrites: true }, { readAhead: false, coalesceWrites: false }] as const;
type Mode = (typeof modes)[number];

for (const { backend, skip, make } of backendCases) {
  describe(`PacketConn batching (${backend})`, { skip: skip ?? false }, () => {
    for (const mode of modes) {
      const label = mode.readAhead ? 'read-ahead on' : 'read-ahead off';

      test(`${label}: a burst arrives in order, each with its sender, its own truncation, empty ones as n 0`, async () => {
        const np = make();
        const s = await listenPacket('udp', '127.0.0.1:0', { netpoll: np, ...mode });
        const a = await listenPacket('udp4', '127.0.0.1:0', { netpoll: np });
        const b = await listenPacket('udp4', '127.0.0.1:0', { netpoll: np });
        try {
          const N = 60;
          await sendBurst(s, a, b, 0, N);
          const buf = new Uint8Array(100);
          const from = new PacketInfo();
          let maxHeld = 0;
          for (let i = 0; i < N; i++) {
            await s.readFromInto(buf, from);
            maxHeld = Math.max(maxHeld, s.batchingState().held);
            const want = datagram(i);
            assert.equal(from.n, Math.min(want.byteLength, 100), `datagram ${i}: size`);
            assert.equal(from.truncated, want.byteLength > 100, `datagram ${i}: truncated`);
            assert.deepEqual(buf.subarray(0, from.n), want.subarray(0, from.n), `datagram ${i}: bytes`);
            assert.equal(from.toString(), String((i % 3 === 0 ? b : a).localAddr), `datagram ${i}: sender`);
          }
          // Read-ahead did pull datagrams ahead (Linux has recvmmsg), and only when on.
          if (mode.readAhead && HAS_MMSG) assert.ok(maxHeld > 0, 'read-ahead held datagrams');
          else assert.equal(maxHeld, 0);
          assert.equal(s.batchingState().held, 0);
        } finally { await closeAll(s, a, b); np.shutdown(); }
      });

      test(`${label}: a past deadline and an aborted signal fail the read without losing a datagram; clearing reads on in order`, async () => {
        await withPair(make, mode, async (s, a) => {
          await sendBurst(s, a, a, 1, 21);
          const buf = new Uint8Array(200);
          const from = new PacketInfo();
          for (let i = 1; i <= 5; i++) { await s.readFromInto(buf, from); assert.equal(buf[0], i); }
          s.setReadDeadline(Date.now() - 1000);
          await assert.rejects(s.readFrom(buf), (e) => e instanceof OpError && e.timeout);
          s.setReadDeadline(null);
          const ac = new AbortController();
          ac.abort(new Error('stop'));
          await assert.rejects(s.readFrom(buf, 0, undefined, ac.signal), /stop/);
          for (let i = 6; i <= 20; i++) {
            await s.readFromInto(buf, from);
            assert.equal(from.n, datagram(i).byteLength);
            if (from.n > 0) assert.equal(buf[0], i, 'the next datagram in order, none lost to the failed reads');
          }
          // Nothing is left: a read now waits (and times out).
          s.setReadDeadline(Date.now() + 20);
          await assert.rejects(s.readFrom(buf), (e) => e instanceof OpError && e.timeout);
        });
      });

      test(`${label}: close discards held datagrams; reads fail with the closed error; no descriptor is left`, async () => {
        const before = openFds();
        await withPair(make, mode, async (s, a) => {
          await sendBurst(s, a, a, 1, 31);
          const buf = new Uint8Array(200);
          for (let i = 0; i < 5; i++) await s.readFrom(buf);
          if (mode.readAhead && HAS_MMSG) assert.ok(s.batchingState().held > 0);
          await s.close();
          assert.equal(s.batchingState().held, 0);
          await assert.rejects(s.readFrom(buf), (e) => isClosedError(e));
        });
        assert.deepEqual(fdsOpenedSince(before), []);
      });

      test(`${label}: readMsg, fd and syscallConn take the socket back to one read per call, after the held datagrams`, async () => {
        await withPair(make, mode, async (s, a, np) => {
          await sendBurst(s, a, a, 1, 21);
          const buf = new Uint8Array(100);
          for (let i = 1; i <= 4; i++) await s.readFrom(buf);
          for (let i = 5; i <= 20; i++) {
            const m = await s.readMsg(buf, null);
            assert.equal(m.n, Math.min(datagram(i).byteLength, 100));
            assert.equal(m.truncated, datagram(i).byteLength > 100);
            if (m.n > 0) assert.equal(buf[0], i);
            assert.equal(String(m.addr), String(a.localAddr));
          }
          assert.equal(s.batchingState().readAhead, false);
          const t = await listenPacket('udp', '127.0.0.1:0', { netpoll: np, ...mode });
          void t.fd;
          assert.equal(t.batchingState().readAhead, false);
          const u = await listenPacket('udp', '127.0.0.1:0', { netpoll: np, ...mode });
          u.syscallConn();
          assert.equal(u.batchingState().readAhead, false);
          await closeAll(t, u);
        });
      });

      test(`${label}: connected udp: ECONNREFUSED surfaces once, and every datagram the peer sent is read once, in order`, async () => {
        const np = make();
        const peer = await listenPacket('udp', '127.0.0.1:0', { netpoll: np });
        const c = await dialPacket('udp', String(peer.localAddr), { netpoll: np, ...mode });
        try {
          for (let i = 1; i <= 20; i++) await peer.writeTo(Uint8Array.of(i), c.localAddr);
          await sleep(5);
          const buf = new Uint8Array(8);
          const got: number[] = [];
          for (let i = 0; i < 3; i++) { await c.read(buf); got.push(buf[0]!); }
          await peer.close();
          await c.write(Uint8Array.of(0));
          await sleep(5);
          let refused = 0;
          c.setReadDeadline(Date.now() + 200);
          for (;;) {
            try {
              await c.read(buf);
              got.push(buf[0]!);
            } catch (e) {
              if (e instanceof OpError && e.code === 'ECONNREFUSED') { refused++; continue; }
              assert.ok(e instanceof OpError && e.timeout, String(e));
              break;
            }
          }
          assert.equal(refused, 1);
          assert.deepEqual(got, Array.from({ length: 20 }, (_, i) => i + 1));
        } finally { await closeAll(c, peer); np.shutdown(); }
      });

      test(`${label}: writes in one turn each settle with their own result; an oversize one fails alone with EMSGSIZE`, async () => {
        const np = make();
        const s = await listenPacket('udp', '127.0.0.1:0', { netpoll: np, ...mode });
        const r = await listenPacket('udp4', '127.0.0.1:0', { netpoll: np });
        try {
          const sizes = [10, 20, 0, 30, 70000, 40, 50, 60, 0, 70];
          const out = new Uint8Array(70000);
          const ps: Promise<number>[] = [];
          for (let i = 0; i < sizes.length; i++) {
            out[0] = i;
            ps.push(s.writeTo(out, r.localAddr, 0, sizes[i]!));
          }
          // The buffer was copied when each write was made: changing it now changes nothing sent.
          out.fill(0xee);
          if (mode.coalesceWrites && HAS_MMSG) assert.ok(s.batchingState().queued > 0, 'writes of one turn were queued');
          const res = await Promise.allSettled(ps);
          for (let i = 0; i < sizes.length; i++) {
            const x = res[i]!;
            if (sizes[i] === 70000) {
              assert.equal(x.status, 'rejected');
              assert.ok((x as PromiseRejectedResult).reason instanceof OpError);
              assert.equal(((x as PromiseRejectedResult).reason as OpError).code, 'EMSGSIZE');
            } else {
              assert.deepEqual(x, { status: 'fulfilled', value: sizes[i] });
            }
          }
          const buf = new Uint8Array(128);
          for (let i = 0; i < sizes.length; i++) {
            if (sizes[i] === 70000) continue;
            const { n } = await r.readFrom(buf);
            assert.equal(n, sizes[i]);
            if (n > 0) { assert.equal(buf[0], i); assert.equal(buf[n - 1] === 0xee, false); }
          }
        } finally { await closeAll(s, r); np.shutdown(); }
      });

      test(`${label}: connected writes to a closed port each settle, with their length or ECONNREFUSED`, async () => {
        const np = make();
        const gone = await listenPacket('udp', '127.0.0.1:0', { netpoll: np });
        const port = gone.localAddr.port;
        await gone.close();
        const c = await dialPacket('udp', `127.0.0.1:${port}`, { netpoll: np, ...mode });
        try {
          const ps: Promise<number>[] = [];
          for (let i = 0; i < 20; i++) ps.push(c.write(Uint8Array.of(i, i)));
          const res = await Promise.allSettled(ps);
          let refused = 0;
          for (const x of res) {
            if (x.status === 'fulfilled') assert.equal(x.value, 2);
            else { assert.equal((x.reason as OpError).code, 'ECONNREFUSED'); refused++; }
          }
          // Each refusal is reported once: by a write here, or by the read after.
          c.setReadDeadline(Date.now() + 50);
          const last = await c.read(new Uint8Array(4)).then(() => 'data', (e: unknown) => (e as OpError).code ?? String(e));
          assert.ok(refused > 0 || last === 'ECONNREFUSED', `refused ${refused}, then ${last}`);
        } finally { await closeAll(c); np.shutdown(); }
      });

      test(`${label}: a unixgram burst larger than the queue, written in one turn to a slow reader: each datagram once${mode.coalesceWrites ? ', in order' : ''}`, async () => {
        const np = make();
        const t = tmpDir();
        const s = await listenPacket('unixgram', join(t.dir, 's'), { netpoll: np });
        const w = await listenPacket('unixgram', join(t.dir, 'w'), { netpoll: np, ...mode });
        try {
          const N = 400;
          const ps: Promise<number>[] = [];
          for (let i = 0; i < N; i++) {
            // A write that waits for the receiver keeps its buffer until it settles: one each.
            const d = new Uint8Array(100);
            d[0] = i & 255; d[1] = i >> 8;
            ps.push(w.writeTo(d, s.localAddr));
          }
          const buf = new Uint8Array(200);
          const got: number[] = [];
          for (let i = 0; i < N; i++) {
            const { n } = await s.readFrom(buf);
            assert.equal(n, 100);
            got.push(buf[0]! | (buf[1]! << 8));
          }
          // Queued, they leave in order; written one by one (each retrying on its own while the
          // receiver is full, like concurrent writers in Go) each still arrives exactly once.
          if (!mode.coalesceWrites) got.sort((x, y) => x - y);
          assert.deepEqual(got, Array.from({ length: N }, (_, i) => i), 'none lost or twice');
          for (const v of await Promise.all(ps)) assert.equal(v, 100);
          s.setReadDeadline(Date.now() + 20);
          await assert.rejects(s.readFrom(buf), (e) => e instanceof OpError && e.timeout, 'nothing more came');
        } finally { await closeAll(s, w); np.shutdown(); t.done(); }
      });
    }

    test('a writer that awaits each write has it sent at once; a burst of writes after that is queued again', { skip: !HAS_MMSG }, async () => {
      await withPair(make, modes[0], async (s, a, np) => {
        const r = await listenPacket('udp4', '127.0.0.1:0', { netpoll: np });
        try {
          // Read-ahead holds datagrams, so every reply is written in a burst; but each is awaited.
          await sendBurst(s, a, a, 1, 41);
          const buf = new Uint8Array(200);
          const from = new PacketInfo();
          let atOnce = 0;
          for (let i = 1; i <= 40; i++) {
            await s.readFromInto(buf, from);
            const p = s.writeTo(buf, r.localAddr, 0, from.n);
            if (s.batchingState().queued === 0) atOnce++;
            assert.equal(await p, from.n);
          }
          assert.ok(atOnce >= 20, `most awaited writes went at once (${atOnce} of 40)`);
          // Writes made in one turn again: coalescing comes back (one write in 32 probes for it).
          const ps: Promise<number>[] = [];
          let queued = 0;
          for (let i = 0; i < 64; i++) { ps.push(s.writeTo(Uint8Array.of(i), r.localAddr)); queued = Math.max(queued, s.batchingState().queued); }
          assert.ok(queued > 1, 'a burst is queued again');
          for (const v of await Promise.all(ps)) assert.equal(v, 1);
          for (let i = 1; i <= 40; i++) {
            const { n } = await r.readFrom(buf);
            assert.equal(n, datagram(i).byteLength);
            if (n > 0) assert.equal(buf[0], i);
          }
          for (let i = 0; i < 64; i++) { await r.readFrom(buf); assert.equal(buf[0], i); }
        } finally { await r.close(); }
      });
    });

    test('readAhead and coalesceWrites must be booleans: anything else is a TypeError before a socket exists', async () => {
      const np = make();
      try {
        const bad = { netpoll: np, readAhead: 'yes' } as unknown as { readAhead: boolean };
        await assert.rejects(listenPacket('udp', '127.0.0.1:0', bad), TypeError);
        await assert.rejects(dialPacket('udp', '127.0.0.1:9', { netpoll: np, coalesceWrites: 1 as unknown as boolean }), TypeError);
        assert.throws(() => PacketConn.fromFd(0, { coalesceWrites: 'no' as unknown as boolean }), TypeError);
      } finally { np.shutdown(); }
    });

    test('a write deadline in the past fails queued writes with a timeout', async () => {
      const np = make();
      const s = await listenPacket('udp', '127.0.0.1:0', { netpoll: np });
      const r = await listenPacket('udp4', '127.0.0.1:0', { netpoll: np });
      try {
        const ps = [1, 2, 3, 4].map((i) => s.writeTo(Uint8Array.of(i), r.localAddr));
        s.setWriteDeadline(Date.now() - 1000);
        const res = await Promise.allSettled(ps);
        // The first went on its own before the deadline was set; the queued ones meet it.
        assert.deepEqual(res[0], { status: 'fulfilled', value: 1 });
        for (const x of res.slice(1)) {
          if (HAS_MMSG) {
            assert.equal(x.status, 'rejected');
            assert.ok((x as PromiseRejectedResult).reason instanceof OpError && ((x as PromiseRejectedResult).reason as OpError).timeout);
          }
        }
      } finally { await closeAll(s, r); np.shutdown(); }
    });
  });
}
