// PacketConn and descriptor passing against peers nobody here wrote:
// util-linux logger, Python's socket module (sendto, send_fds, recv_fds)
// and OpenBSD netcat. Each is skipped only where the program is missing.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listen, listenPacket, PacketInfo } from '../../src/net/index.ts';
import { cmsgSpace, parseUnixRights, unixRights } from '../../src/sys/cmsg.ts';
import { C } from '../../src/sys/constants.ts';
import { fcntl } from '../../src/sys/libc.ts';

const has = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const python = has('python3', ['-c', 'import socket; socket.send_fds']) ? 'python3' : null;
const logger = has('logger', ['--help']) ? 'logger' : null;
const nc = has('nc', ['-h']) || spawnSync('nc', ['-h']).status === 1 ? (spawnSync('sh', ['-c', 'command -v nc']).status === 0 ? 'nc' : null) : null;

/** Runs a program to its end: its exit code and output. */
function run(cmd: string, args: string[], input?: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, out, err }));
    if (p.stdin) {
      p.stdin.on('error', () => {}); // the program may exit before reading its input
      p.stdin.end(input);
    }
  });
}

function tmp(): { dir: string; done(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'netpoll-peers-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

const dec = new TextDecoder();

describe('datagram peers', () => {
  test('logger --socket-errors=on -u sends a syslog datagram a unixgram PacketConn reads', { skip: logger ? false : 'no logger' }, async () => {
    const t = tmp();
    const pc = await listenPacket('unixgram', join(t.dir, 'log.sock'));
    try {
      const done = run('logger', ['--socket-errors=on', '-u', join(t.dir, 'log.sock'), '-t', 'netpoll-test', 'hello from logger']);
      const buf = new Uint8Array(2048);
      pc.setReadDeadline(Date.now() + 10_000);
      const { n, truncated } = await pc.readFrom(buf);
      const line = dec.decode(buf.subarray(0, n));
      assert.equal(truncated, false);
      assert.match(line, /^<\d+>/);
      assert.match(line, /netpoll-test.*hello from logger/);
      const r = await done;
      assert.equal(r.code, 0, r.err);
    } finally { await pc.close(); t.done(); }
  });

  test('Python sendto on AF_UNIX/SOCK_DGRAM reaches a unixgram PacketConn, and a reply reaches Python', { skip: python ? false : 'no python3' }, async () => {
    const t = tmp();
    const path = join(t.dir, 'py.sock');
    const pc = await listenPacket('unixgram', path);
    try {
      const script = [
        'import socket, sys',
        's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
        's.bind(sys.argv[2])',
        's.sendto(b"from python", sys.argv[1])',
        's.sendto(b"", sys.argv[1])',
        's.settimeout(10)',
        'print(s.recv(100).decode())',
      ].join('\n');
      const done = run('python3', ['-c', script, path, path + '.py']);
      const buf = new Uint8Array(100);
      const from = new PacketInfo();
      pc.setReadDeadline(Date.now() + 10_000);
      await pc.readFromInto(buf, from);
      assert.equal(dec.decode(buf.subarray(0, from.n)), 'from python');
      assert.equal(from.toString(), path + '.py');
      await pc.readFromInto(buf, from);
      assert.equal(from.n, 0, 'an empty datagram from Python is a datagram');
      await pc.writeTo(new TextEncoder().encode('from netpoll'), from);
      const r = await done;
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out.trim(), 'from netpoll');
    } finally { await pc.close(); t.done(); }
  });

  test('Python UDP client and a udp PacketConn echo', { skip: python ? false : 'no python3' }, async () => {
    const pc = await listenPacket('udp', '127.0.0.1:0');
    try {
      const script = [
        'import socket, sys',
        's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
        's.settimeout(10)',
        'for i in range(3):',
        '    s.sendto(b"n%d" % i, ("127.0.0.1", int(sys.argv[1])))',
        '    print(s.recv(100).decode())',
      ].join('\n');
      const done = run('python3', ['-c', script, String(pc.localAddr.port)]);
      const buf = new Uint8Array(100);
      const from = new PacketInfo();
      for (let i = 0; i < 3; i++) {
        pc.setReadDeadline(Date.now() + 10_000);
        await pc.readFromInto(buf, from);
        await pc.writeTo(buf, from, 0, from.n);
      }
      const r = await done;
      assert.equal(r.code, 0, r.err);
      assert.deepEqual(r.out.trim().split('\n'), ['n0', 'n1', 'n2']);
    } finally { await pc.close(); }
  });

  test('nc -u sends to a udp PacketConn and reads its reply', { skip: nc ? false : 'no nc (netcat-openbsd)' }, async () => {
    const pc = await listenPacket('udp4', '127.0.0.1:0');
    try {
      const p = spawn('nc', ['-u', '-w', '2', '127.0.0.1', String(pc.localAddr.port)], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      const closed = new Promise<void>((resolve) => p.on('close', () => resolve()));
      p.stdin.write('hello over nc\n');
      const buf = new Uint8Array(100);
      pc.setReadDeadline(Date.now() + 10_000);
      const { n, addr } = await pc.readFrom(buf);
      assert.equal(dec.decode(buf.subarray(0, n)), 'hello over nc\n');
      await pc.writeTo(new TextEncoder().encode('reply\n'), addr);
      for (let i = 0; i < 200 && !out.includes('reply'); i++) await new Promise((r) => setTimeout(r, 10));
      p.stdin.end();
      p.kill();
      await closed;
      assert.equal(out, 'reply\n');
    } finally { await pc.close(); }
  });
});

describe('descriptor passing with Python', () => {
  test('Python socket.send_fds hands netpoll an open file over a unix stream; netpoll reads it through the descriptor', { skip: python ? false : 'no python3' }, async () => {
    const t = tmp();
    const path = join(t.dir, 'fds.sock');
    writeFileSync(join(t.dir, 'secret.txt'), 'passed by python');
    const ln = await listen('unix', path);
    try {
      const script = [
        'import os, socket, sys',
        'fd = os.open(sys.argv[2], os.O_RDONLY)',
        's = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)',
        's.connect(sys.argv[1])',
        'socket.send_fds(s, [b"F"], [fd])',
        's.recv(1)',
      ].join('\n');
      const done = run('python3', ['-c', script, path, join(t.dir, 'secret.txt')]);
      const conn = await ln.accept();
      const oob = new Uint8Array(cmsgSpace(4 * 4));
      const buf = new Uint8Array(8);
      const r = await conn.readMsg(buf, oob);
      assert.equal(r.n, 1);
      assert.equal(buf[0], 'F'.charCodeAt(0));
      assert.equal(r.controlTruncated, false);
      const fds = parseUnixRights(oob, r.oobn);
      assert.equal(fds.length, 1);
      const fd = fds[0]!;
      try {
        assert.equal(fcntl(fd, C.F_GETFD, 0) & C.FD_CLOEXEC, C.FD_CLOEXEC, 'received close-on-exec');
        const got = Buffer.alloc(64);
        const n = readSync(fd, got, 0, 64, 0);
        assert.equal(got.subarray(0, n).toString(), 'passed by python');
      } finally { closeSync(fd); }
      await conn.write(Uint8Array.of(1));
      const res = await done;
      assert.equal(res.code, 0, res.err);
      await conn.close();
    } finally { await ln.close(); t.done(); }
  });

  test('netpoll writeMsg(unixRights(fd)) hands Python an open file; socket.recv_fds receives and reads it', { skip: python ? false : 'no python3' }, async () => {
    const t = tmp();
    const path = join(t.dir, 'rev.sock');
    writeFileSync(join(t.dir, 'mine.txt'), 'passed by netpoll');
    const pc = await listenPacket('unixgram', path);
    const fd = openSync(join(t.dir, 'mine.txt'), 'r');
    try {
      const script = [
        'import os, socket, sys',
        's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
        's.bind(sys.argv[2])',
        's.sendto(b"ready", sys.argv[1])',
        's.settimeout(10)',
        'msg, fds, flags, addr = socket.recv_fds(s, 16, 4)',
        'print(msg.decode(), len(fds), os.pread(fds[0], 100, 0).decode())',
      ].join('\n');
      const done = run('python3', ['-c', script, path, path + '.py']);
      const from = new PacketInfo();
      pc.setReadDeadline(Date.now() + 10_000);
      await pc.readFromInto(new Uint8Array(16), from);
      await pc.writeMsg(new TextEncoder().encode('file'), unixRights(fd), from);
      const r = await done;
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out.trim(), 'file 1 passed by netpoll');
    } finally { closeSync(fd); await pc.close(); t.done(); }
  });
});
