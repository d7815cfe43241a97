// Datagrams under injected faults, run in a child process: four writers
// send a bounded burst of numbered datagrams over unixgram (where the
// kernel never drops one: a full receiver makes the sender wait), each
// through another path: coalesced writeTo (sendmmsg), one awaited writeTo
// at a time (sendto), writeBatch (sendmmsg) and writeMsg (sendmsg). Two
// readers take them: one with readFromInto (read-ahead, recvmmsg), one
// alternating readBatch (recvmmsg) and readMsg (recvmsg). Every datagram
// must arrive exactly once. Prints one JSON line.
//
//   node --import tsx test/fault/dgram-scenario.ts '{"perWriter":400,"seed":1,"backend":"epoll"}'
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Netpoll } from '../../src/netpoll/index.ts';
import { listenPacket, PacketInfo, type Addr, type PacketConn } from '../../src/net/index.ts';
import { FAULTS_ON, faultCounts } from '../../src/sys/faults.ts';
import { socketFds } from '../helpers/fds.ts';
import { errorTally, prng, shutdownNetpoll } from './frames.ts';
import { sleep } from '../helpers/async.ts';

interface Params { perWriter: number; seed: number; backend: 'epoll' | 'kqueue'; driver?: 'loop' | 'worker' }
const p = JSON.parse(process.argv[2] ?? '{}') as Params;

const WRITERS = 4;
const errors: Record<string, number> = {};
const countError = errorTally(errors);

/** Datagram (writer, seq): 6 bytes, then padding so sizes vary. */
function datagram(writer: number, seq: number, rand: () => number): Uint8Array {
  const d = new Uint8Array(6 + Math.floor(rand() * 200));
  d[0] = writer;
  new DataView(d.buffer).setUint32(1, seq);
  d[5] = 0xa5;
  return d;
}

async function write(mode: number, w: PacketConn, to: Addr, rand: () => number): Promise<void> {
  const n = p.perWriter;
  for (let seq = 0; seq < n;) {
    const k = Math.min(n - seq, 1 + Math.floor(rand() * 40));
    if (mode === 0) {
      // One turn of writes: queued and sent together.
      const ps: Promise<number>[] = [];
      for (let i = 0; i < k; i++) ps.push(w.writeTo(datagram(0, seq + i, rand), to));
      await Promise.all(ps);
    } else if (mode === 1) {
      for (let i = 0; i < k; i++) await w.writeTo(datagram(1, seq + i, rand), to);
    } else if (mode === 2) {
      const bufs = Array.from({ length: k }, (_, i) => datagram(2, seq + i, rand));
      await w.writeBatch(bufs, bufs.map(() => to));
    } else {
      for (let i = 0; i < k; i++) await w.writeMsg(datagram(3, seq + i, rand), null, to);
    }
    seq += k;
  }
}

async function main(): Promise<void> {
  const before = socketFds();
  const dir = mkdtempSync(join(tmpdir(), 'netpoll-fault-dgram-'));
  const np = new Netpoll({ backend: p.backend, driver: p.driver ?? 'loop' });
  const rand = prng(p.seed);
  const seen = Array.from({ length: WRITERS }, () => new Uint8Array(p.perWriter));
  let delivered = 0, duplicates = 0, malformed = 0;
  const take = (b: Uint8Array, n: number): void => {
    const w = b[0]!, seq = n >= 6 ? new DataView(b.buffer, b.byteOffset).getUint32(1) : -1;
    if (n < 6 || w >= WRITERS || seq >= p.perWriter || b[5] !== 0xa5) { malformed++; return; }
    if (seen[w]![seq]++ > 0) duplicates++;
    else delivered++;
  };
  const r1 = await listenPacket('unixgram', join(dir, 'r1'), { netpoll: np });
  const r2 = await listenPacket('unixgram', join(dir, 'r2'), { netpoll: np });
  const ws: PacketConn[] = [];
  for (let i = 0; i < WRITERS; i++) ws.push(await listenPacket('unixgram', join(dir, `w${i}`), { netpoll: np }));
  const deadline = Date.now() + 60_000;
  r1.setReadDeadline(deadline);
  r2.setReadDeadline(deadline);
  const want = WRITERS * p.perWriter;
  let stop = false;
  const reader1 = (async () => {
    const buf = new Uint8Array(512);
    const from = new PacketInfo();
    while (!stop) { await r1.readFromInto(buf, from); take(buf, from.n); }
  })();
  const reader2 = (async () => {
    const bufs = Array.from({ length: 16 }, () => new Uint8Array(512));
    const infos = bufs.map(() => new PacketInfo());
    for (let turn = 0; !stop; turn++) {
      if (turn % 2 === 0) {
        const k = await r2.readBatch(bufs, infos);
        for (let i = 0; i < k; i++) take(bufs[i]!, infos[i]!.n);
      } else {
        const m = await r2.readMsg(bufs[0]!, null);
        take(bufs[0]!, m.n);
      }
    }
  })();
  const readers = Promise.all([reader1, reader2]).catch((e: unknown) => { if (!stop) countError(e); });
  const writers = ws.map((w, i) => write(i, w, (i % 2 === 0 ? r1 : r2).localAddr, prng(p.seed * 10 + i)).catch(countError));
  await Promise.all(writers);
  while (delivered + duplicates + malformed < want && Date.now() < deadline && Object.keys(errors).length === 0) await sleep(5);
  // Nothing more may come: a short wait for strays, then the readers stop by close.
  await sleep(50);
  stop = true;
  for (const pc of [r1, r2, ...ws]) await pc.close();
  await readers;
  await shutdownNetpoll(np);
  rmSync(dir, { recursive: true, force: true });
  const missing: string[] = [];
  for (let w = 0; w < WRITERS; w++) for (let s = 0; s < p.perWriter; s++) if (seen[w]![s] === 0 && missing.length < 20) missing.push(`${w}/${s}`);
  process.stdout.write(JSON.stringify({
    ...p, faultsOn: FAULTS_ON, want, delivered, duplicates, malformed, missing, errors, faults: faultCounts(),
    leaked: [...socketFds()].filter((x) => !before.has(x)),
  }) + '\n');
}

await main();
