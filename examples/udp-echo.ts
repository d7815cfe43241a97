// A UDP echo server on PacketConn: one reused buffer and one reused
// PacketInfo, so nothing is allocated per datagram (Go's
// ReadFromUDPAddrPort / WriteToUDPAddrPort loop). The reply is not awaited:
// writeTo copies it at once (the buffer is free for the next read), and
// under a burst read-ahead serves the reads from one recvmmsg while the
// replies leave together in one sendmmsg. Each reply still reports its own
// failure, here logged (a sender whose port is gone, EMSGSIZE, …).
//
//   node --import tsx examples/udp-echo.ts 127.0.0.1:7009
//   echo hi | nc -u -w1 127.0.0.1 7009
import { listenPacket, PacketInfo } from '../src/index.ts';

const pc = await listenPacket('udp', process.argv[2] ?? '127.0.0.1:7009');
console.log(`listening on ${String(pc.localAddr)}`);
const buf = new Uint8Array(64 * 1024);
const from = new PacketInfo();
const failed = (e: unknown): void => { console.error(`reply failed: ${String(e)}`); };
for (;;) {
  await pc.readFromInto(buf, from);
  if (from.truncated) continue; // larger than any UDP datagram: cannot happen, but never echo half of one
  pc.writeTo(buf, from, 0, from.n).catch(failed);
}
