// Read-ahead and write coalescing against Python's socket module: Python
// sends a burst of numbered datagrams (empty ones, ones longer than the
// reader's buffer) from two sockets before netpoll reads any; netpoll reads
// them one call at a time (read-ahead underneath) and replies to each
// sender without awaiting (coalesced into sendmmsg); Python checks that
// every reply came back once, in order, to the socket that sent it, cut
// where netpoll's buffer cut it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { listenPacket, PacketInfo } from '../../src/net/index.ts';

const python = spawnSync('python3', ['-c', 'import socket'], { stdio: 'ignore' }).status === 0;

const SCRIPT = `
import socket, sys, json
port, n, cap = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
for s in socks:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.bind(("127.0.0.1", 0))
    s.settimeout(10)
def size(i): return 0 if i % 7 == 0 else (cap + 50 if i % 5 == 0 else 1 + i % 90)
def payload(i): return bytes([(i * 31 + j) & 255 if j else i & 255 for j in range(size(i))])
for i in range(n):
    socks[i % 2].sendto(payload(i), ("127.0.0.1", port))
print("sent", flush=True)
bad = []
for k in range(2):
    for i in range(k, n, 2):
        got = socks[k].recv(65536)
        want = payload(i)[:cap]
        if got != want: bad.append(i)
print(json.dumps({"bad": bad}), flush=True)
`;

test('a Python burst is read one datagram a call with read-ahead, and every coalesced reply returns to its sender in order', { skip: python ? false : 'no python3' }, async () => {
  const pc = await listenPacket('udp4', '127.0.0.1:0', { readBuffer: 1 << 20 });
  const N = 300, CAP = 100;
  try {
    const child = spawn('python3', ['-c', SCRIPT, String(pc.localAddr.port), String(N), String(CAP)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const exited = new Promise<number | null>((r) => child.on('close', r));
    // Wait until the whole burst is queued at the socket, so read-ahead has something to pull.
    for (let i = 0; i < 1000 && !out.includes('sent'); i++) await new Promise((r) => setTimeout(r, 10));
    const buf = new Uint8Array(CAP);
    const from = new PacketInfo();
    const replies: Promise<number>[] = [];
    let maxHeld = 0, maxQueued = 0;
    pc.setReadDeadline(Date.now() + 10_000);
    for (let i = 0; i < N; i++) {
      await pc.readFromInto(buf, from);
      assert.equal(buf.subarray(0, from.n)[0] ?? i & 255, i & 255, `datagram ${i} in order`);
      replies.push(pc.writeTo(buf, from, 0, from.n));
      maxHeld = Math.max(maxHeld, pc.batchingState().held);
      maxQueued = Math.max(maxQueued, pc.batchingState().queued);
    }
    for (const [i, n] of (await Promise.all(replies)).entries()) assert.ok(n <= CAP, `reply ${i}: ${n} bytes`);
    assert.equal(await exited, 0, err);
    const result = JSON.parse(out.trim().split('\n').pop()!) as { bad: number[] };
    assert.deepEqual(result.bad, [], 'every reply came back once, in order, with the bytes netpoll read');
    if (process.platform === 'linux') assert.ok(maxHeld > 0 && maxQueued > 1, `batching engaged (held ${maxHeld}, queued ${maxQueued})`);
  } finally { await pc.close(); }
});
