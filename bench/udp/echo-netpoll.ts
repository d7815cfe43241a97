// UDP echo server on netpoll's PacketConn. Usage:
//   node --import tsx echo-netpoll.ts 127.0.0.1:PORT [--await | --batch]
//   node --import tsx echo-netpoll.ts unix:/path [--batch]     (unixgram)
// Default: readFromInto + writeTo with one reused PacketInfo (no allocation
// per datagram); the reply is not awaited (as node:dgram's send is not):
// writeTo copies it at once, so the buffer is free for the next read, and
// replies written during a burst leave in one sendmmsg (write coalescing).
// --await: the same, awaiting each reply (Go's order: the next read starts
// once the reply went), so only read-ahead batches.
// --batch: readBatch + writeBatch (recvmmsg/sendmmsg) by hand.
import { listenPacket, PacketInfo } from '../../src/index.ts';

// A clean exit on SIGINT lets --cpu-prof write its profile.
process.on('SIGINT', () => process.exit(0));
const where = process.argv[2] ?? '127.0.0.1:0';
const pc = where.startsWith('unix:') ? await listenPacket('unixgram', where.slice(5)) : await listenPacket('udp4', where);
console.log(`listening on ${pc.network === 'unixgram' ? 'unix:' : ''}${String(pc.localAddr)}`);
if (process.argv[3] === '--batch') {
  const N = 64;
  const bufs = Array.from({ length: N }, () => new Uint8Array(2048));
  const infos = bufs.map(() => new PacketInfo());
  const outs: Uint8Array[] = [];
  for (;;) {
    const k = await pc.readBatch(bufs, infos);
    outs.length = k;
    for (let i = 0; i < k; i++) outs[i] = bufs[i]!.subarray(0, infos[i]!.n);
    await pc.writeBatch(outs, infos.slice(0, k));
  }
} else {
  const buf = new Uint8Array(2048);
  const from = new PacketInfo();
  // A unixgram client that went away refuses its reply (ECONNREFUSED): serve the others.
  const ignore = (): void => {};
  if (process.argv[3] === '--await') {
    for (;;) {
      await pc.readFromInto(buf, from);
      await pc.writeTo(buf, from, 0, from.n).catch(ignore);
    }
  }
  for (;;) {
    await pc.readFromInto(buf, from);
    pc.writeTo(buf, from, 0, from.n).catch(ignore);
  }
}
