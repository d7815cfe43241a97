// The descriptor examples run as a user would run them.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { dial, listen } from '../../src/net/index.ts';

const root = join(import.meta.dirname, '..', '..');
const example = (name: string): string => join(root, 'examples', name);
const run = (args: string[], timeout = 30_000) =>
  spawnSync(process.execPath, ['--import', 'tsx', ...args], { cwd: root, encoding: 'utf8', timeout });

test('examples/pty-shell.ts drives /bin/sh -i on a pseudo-terminal', () => {
  const r = run([example('pty-shell.ts'), 'echo "answer=$((6*7))"; tty']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /answer=42\r\n/);
  assert.match(r.stdout, /\/dev\/pts\/\d+\r\n/);
});

test('examples/worker-handoff.ts: connections accepted on the main thread are served by workers in turn', () => {
  const r = run([example('worker-handoff.ts'), '3', '--demo', '6']);
  assert.equal(r.status, 0, r.stderr);
  const answers = r.stdout.split('\n').filter((l) => l.startsWith('worker '));
  assert.deepEqual(answers, [0, 1, 2, 3, 4, 5].map((i) => `worker ${i % 3}: hello ${i}`));
});

test('examples/fifo-reader.ts reports idle time and prints what a writer sends', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'netpoll-fifo-example-'));
  try {
    const path = join(dir, 'f');
    execFileSync('mkfifo', [path]);
    const child = spawn(process.execPath, ['--import', 'tsx', example('fifo-reader.ts'), path, '50'], { cwd: root });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    // The writer opens, stays silent past the idle time, writes, and closes.
    const { open } = await import('node:fs/promises');
    const w = await open(path, 'w');
    while (!out.includes('(idle)')) await new Promise((r) => setTimeout(r, 20));
    await w.write('through the fifo\n');
    await w.close();
    assert.equal(await exited, 0);
    assert.match(out, /\(idle\)\n/);
    assert.match(out, /through the fifo\n/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('examples/socket-activated.ts serves on a socket passed with LISTEN_FDS', async () => {
  const ln = await listen('tcp', '127.0.0.1:0');
  try {
    const child = spawn('/bin/sh', ['-c', 'LISTEN_PID=$$ exec "$0" --import tsx "$1"', process.execPath, example('socket-activated.ts')], {
      cwd: root, stdio: ['ignore', 'pipe', 'inherit', ln.fd.sysfd], env: { ...process.env, LISTEN_FDS: '1', LISTEN_FDNAMES: 'greeter', ONE_SHOT: '1' },
    });
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    const conn = await dial('tcp', ln.addr.toString());
    let reply = '';
    for (let c; (c = await conn.readChunk()) !== null;) reply += new TextDecoder().decode(c);
    await conn.close();
    assert.equal(reply, 'hello from greeter\n');
    assert.equal(await exited, 0);
  } finally {
    await ln.close();
  }
});

/** Where ping sockets are forbidden here, a private network namespace with them allowed (root only). */
function privateNetnsWithPing(): string | null {
  const r = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && echo "0 2147483647" > /proc/sys/net/ipv4/ping_group_range'], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? null : `no private network namespace here: ${(r.stderr || r.error?.message || '').trim()}`;
}

test('examples/ping.ts: ICMP echo to 127.0.0.1 over a SOCK_DGRAM/IPPROTO_ICMP socket', (t) => {
  let r = run([example('ping.ts'), '2']);
  assert.equal(r.status, 0, r.stderr);
  if (r.stdout.startsWith('skip:')) {
    // The example skipped cleanly; run it where the kernel allows ping sockets, if this machine can make such a place.
    const why = privateNetnsWithPing();
    if (why !== null) { t.skip(`${r.stdout.trim()}; ${why}`); return; }
    r = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && echo "0 2147483647" > /proc/sys/net/ipv4/ping_group_range && exec "$0" --import tsx "$1" 2',
      process.execPath, example('ping.ts')], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
  }
  assert.match(r.stdout, /^\d+ bytes from 127\.0\.0\.1: icmp_seq=1 time=[\d.]+ ms\n\d+ bytes from 127\.0\.0\.1: icmp_seq=2 time=[\d.]+ ms\n$/);
});

