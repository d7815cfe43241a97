// ICMP echo to 127.0.0.1 over an unprivileged ping socket
// (SOCK_DGRAM/IPPROTO_ICMP), no raw-socket privilege and no native addon:
// the kernel fills in the identifier and checksums the reply.
// Run: node --import tsx examples/ping.ts [count]
// Prints "skip: …" and exits 0 where the kernel's ping_group_range forbids it.
import { socket } from '../src/os/index.ts';
import { C } from '../src/sys/constants.ts';
import { encodeSockaddr } from '../src/sys/sockaddr.ts';
import { connect } from '../src/sys/socket.ts';

const count = Number(process.argv[2] ?? 3);

/** An ICMP echo request: type 8, code 0, checksum, identifier, sequence, payload. */
function echoRequest(seq: number, payload: Uint8Array): Uint8Array {
  const p = new Uint8Array(8 + payload.length);
  const v = new DataView(p.buffer);
  p[0] = 8;
  v.setUint16(6, seq);
  p.set(payload, 8);
  let sum = 0;
  for (let i = 0; i < p.length; i += 2) sum += (p[i]! << 8) | (p[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  v.setUint16(2, ~sum & 0xffff);
  return p;
}

let ping;
try {
  ping = socket(C.AF_INET, C.SOCK_DGRAM, C.IPPROTO_ICMP);
} catch (e) {
  const code = (e as { code?: string }).code;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EPROTONOSUPPORT') {
    console.log(`skip: ping sockets are not allowed for this group (${code}; see /proc/sys/net/ipv4/ping_group_range)`);
    process.exit(0);
  }
  throw e;
}
// Connected, so plain write and read carry the datagrams.
const { bytes, length } = encodeSockaddr({ family: 'inet4', ip: Uint8Array.of(127, 0, 0, 1), port: 0 });
const r = ping.syscallConn().control((fd) => connect(fd, bytes, length));
if (r < 0) throw new Error(`connect: errno ${-r}`);

const reply = new Uint8Array(1500);
for (let seq = 1; seq <= count; seq++) {
  const payload = new TextEncoder().encode(`netpoll ping ${seq}`);
  const t0 = performance.now();
  await ping.write(echoRequest(seq, payload));
  ping.setReadDeadline(Date.now() + 2000);
  const n = (await ping.read(reply))!;
  const v = new DataView(reply.buffer, 0, n);
  const text = new TextDecoder().decode(reply.subarray(8, n));
  if (reply[0] !== 0 || v.getUint16(6) !== seq || text !== `netpoll ping ${seq}`) throw new Error(`unexpected reply: ${[...reply.subarray(0, n)]}`);
  console.log(`${n} bytes from 127.0.0.1: icmp_seq=${seq} time=${(performance.now() - t0).toFixed(3)} ms`);
}
await ping.close();
