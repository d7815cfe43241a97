// A UDP echo server on PacketConn: one reused buffer and one reused
// PacketInfo, so nothing is allocated per datagram (Go's
// ReadFromUDPAddrPort / WriteToUDPAddrPort loop).
//
//   node --import tsx examples/udp-echo.ts 127.0.0.1:7009
//   echo hi | nc -u -w1 127.0.0.1 7009
import { listenPacket, PacketInfo } from '../src/index.ts';

const pc = await listenPacket('udp', process.argv[2] ?? '127.0.0.1:7009');
console.log(`listening on ${String(pc.localAddr)}`);
const buf = new Uint8Array(64 * 1024);
const from = new PacketInfo();
for (;;) {
  await pc.readFromInto(buf, from);
  if (from.truncated) continue; // larger than any UDP datagram: cannot happen, but never echo half of one
  await pc.writeTo(buf, from, 0, from.n);
}
