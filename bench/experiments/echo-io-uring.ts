// An experiment, not part of the library: an echo server whose reads and
// writes go through one io_uring (Linux 5.6+) driven from JavaScript through
// koffi, to measure what batching a loop turn's system calls into one
// io_uring_enter would buy the Conn. Connections are accepted by netpoll and
// detached from its poller; the ring's own descriptor is watched on Node's
// loop (it is readable while completions wait).
//
//   node --import tsx bench/experiments/echo-io-uring.ts [address]
import koffi from 'koffi';
import { listen } from '../../src/index.ts';
import { libc } from '../../src/sys/libc-handle.ts';
import { watchReadable } from '../../src/netpoll/uv-poll.ts';

const SYS_IO_URING_SETUP = 425, SYS_IO_URING_ENTER = 426;
const IORING_OFF_SQ_RING = 0, IORING_OFF_SQES = 0x10000000;
const IORING_FEAT_SINGLE_MMAP = 1;
const OP_SEND = 26, OP_RECV = 27;
const MSG_NOSIGNAL = 0x4000;
const ENTRIES = 4096;
const SLOT = 16 * 1024; // each connection's buffer

const syscall = libc.func('long syscall(long nr, ...)') as (...a: unknown[]) => number;
const mmap = libc.func('void *mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t off)') as (...a: unknown[]) => unknown;
const malloc = libc.func('void *malloc(size_t size)') as (n: number) => unknown;
const closeFd = libc.func('int close(int fd)') as (fd: number) => number;
const errnoOf = (): number => koffi.errno();

function setup(): { fd: number; sqView: DataView; sqes: DataView; p: DataView } {
  const params = new Uint8Array(120);
  const fd = syscall(SYS_IO_URING_SETUP, 'uint32_t', ENTRIES, 'void *', params);
  if (fd < 0) throw new Error(`io_uring_setup: errno ${errnoOf()}`);
  const p = new DataView(params.buffer);
  if ((p.getUint32(20, true) & IORING_FEAT_SINGLE_MMAP) === 0) throw new Error('io_uring: no single mmap');
  const sqEntries = p.getUint32(0, true), cqEntries = p.getUint32(4, true);
  const sqArray = p.getUint32(40 + 24, true), cqes = p.getUint32(80 + 20, true);
  const ringSize = Math.max(sqArray + sqEntries * 4, cqes + cqEntries * 16);
  const ring = mmap(null, ringSize, 3, 0x01 | 0x8000, fd, IORING_OFF_SQ_RING);
  const sqe = mmap(null, sqEntries * 64, 3, 0x01 | 0x8000, fd, IORING_OFF_SQES);
  if (koffi.address(ring) === 2n ** 64n - 1n || koffi.address(sqe) === 2n ** 64n - 1n) throw new Error('io_uring: mmap failed');
  return { fd, p, sqView: new DataView(koffi.view(ring, ringSize)), sqes: new DataView(koffi.view(sqe, sqEntries * 64)) };
}

const ring = setup();
const P = ring.p, R = ring.sqView, S = ring.sqes;
const sqTail = P.getUint32(44, true), sqMask = R.getUint32(P.getUint32(48, true), true);
const sqArr = P.getUint32(64, true);
const cqHead = P.getUint32(80, true), cqTail = P.getUint32(84, true), cqMask = R.getUint32(P.getUint32(88, true), true);
const cqes = P.getUint32(100, true);
for (let i = 0; i <= sqMask; i++) R.setUint32(sqArr + i * 4, i, true);

const MAX_CONNS = 1100; // < ENTRIES: one operation in flight per connection, so the rings never overflow
const bufBase = Number(koffi.address(malloc(MAX_CONNS * SLOT)));
const conns: number[] = []; // slot → fd (-1 free)
const pendingBytes: number[] = []; // slot → bytes received and not yet sent back
const sentBytes: number[] = []; // slot → of those, bytes sent
let tail = R.getUint32(sqTail, true);
let pending = 0;

function push(op: number, slot: number, from: number, len: number): void {
  const off = (tail & sqMask) * 64;
  for (let i = 0; i < 64; i += 8) S.setBigUint64(off + i, 0n, true);
  const addr = bufBase + slot * SLOT + from;
  S.setUint8(off, op);
  S.setInt32(off + 4, conns[slot]!, true);
  S.setUint32(off + 16, addr % 0x100000000, true);
  S.setUint32(off + 20, Math.floor(addr / 0x100000000), true);
  S.setUint32(off + 24, len, true);
  S.setUint32(off + 28, op === OP_SEND ? MSG_NOSIGNAL : 0, true);
  S.setUint32(off + 32, slot * 2 + (op === OP_SEND ? 1 : 0), true);
  tail = (tail + 1) >>> 0;
  pending++;
}

function submit(): void {
  if (pending === 0) return;
  R.setUint32(sqTail, tail, true);
  const n = pending;
  pending = 0;
  const r = syscall(SYS_IO_URING_ENTER, 'int', ring.fd, 'uint32_t', n, 'uint32_t', 0, 'uint32_t', 0, 'void *', null, 'size_t', 0);
  if (r !== n) throw new Error(`io_uring_enter: ${r < 0 ? `errno ${errnoOf()}` : `took ${r} of ${n}`}`);
}

function reap(): number {
  let head = R.getUint32(cqHead, true);
  const t = R.getUint32(cqTail, true);
  let n = 0;
  while (head !== t) {
    const off = cqes + (head & cqMask) * 16;
    const ud = R.getUint32(off, true), res = R.getInt32(off + 8, true);
    head = (head + 1) >>> 0;
    n++;
    const slot = ud >>> 1;
    if (res < 0 || (res === 0 && (ud & 1) === 0)) { closeFd(conns[slot]!); conns[slot] = -1; continue; } // EOF or error
    if ((ud & 1) === 0) {
      pendingBytes[slot] = res;
      sentBytes[slot] = 0;
      push(OP_SEND, slot, 0, res); // echo what came
    } else if ((sentBytes[slot]! += res) < pendingBytes[slot]!) {
      push(OP_SEND, slot, sentBytes[slot]!, pendingBytes[slot]! - sentBytes[slot]!); // the rest of a short send
    } else {
      push(OP_RECV, slot, 0, SLOT);
    }
  }
  R.setUint32(cqHead, head, true);
  return n;
}

watchReadable(ring.fd, () => {
  for (let i = 0; i < 8; i++) {
    if (reap() === 0 && pending === 0) break;
    submit();
  }
});

const ln = await listen('tcp', process.argv[2] ?? '127.0.0.1:7008');
console.log(`listening on ${ln.addr}`);
for await (const conn of ln) {
  const fd = await conn.detach();
  let slot = conns.indexOf(-1);
  if (slot < 0) slot = conns.length;
  if (slot >= MAX_CONNS) { closeFd(fd); continue; }
  conns[slot] = fd;
  push(OP_RECV, slot, 0, SLOT);
  submit();
}
