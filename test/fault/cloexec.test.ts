// Every descriptor the library makes is close-on-exec: a program started
// while 100 connections are open (dialed, accepted, served, over TCP and
// unix sockets, on both backends and both drivers) inherits none of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Netpoll } from '../../src/netpoll/index.ts';
import { dial, listen, serve, type Conn } from '../../src/net/index.ts';
import { socketPair } from '../helpers/fds.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** fd → what it refers to. */
function fdTable(pid: number | 'self'): Map<number, string> {
  const m = new Map<number, string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`).map(Number)) {
    try { m.set(fd, readlinkSync(`/proc/${pid}/fd/${fd}`)); } catch { /* readdir's own, gone */ }
  }
  return m;
}

test('a child spawned while 100 connections are open inherits none of the library\'s descriptors', async () => {
  // What was open before the library made anything (a test runner may pass descriptors of its own down).
  const before = fdTable('self');
  const nps = [
    new Netpoll({ backend: 'epoll', driver: 'loop' }), new Netpoll({ backend: 'kqueue', driver: 'loop' }),
    new Netpoll({ backend: 'epoll', driver: 'worker' }), new Netpoll({ backend: 'kqueue', driver: 'worker' }),
  ];
  const conns: Conn[] = [];
  const sockPath = join(tmpdir(), `netpoll-cloexec-${process.pid}.sock`);
  const lns = await Promise.all(nps.map((np, i) => listen(i === 1 ? 'unix' : 'tcp', i === 1 ? sockPath : '127.0.0.1:0', { netpoll: np })));
  // One listener is served by serve(): its connections are ServeConns.
  const served = serve(lns[3]!, { onData(c, b) { c.write(b); } });
  for (let i = 0; i < 100; i++) {
    const k = i % 4;
    const ln = lns[k]!;
    const c = await dial(ln.network, String(ln.addr), { netpoll: nps[k] });
    conns.push(c);
    if (k !== 3) conns.push(await ln.accept());
  }
  // Registered, parked reads hold their descriptors in the pollers too.
  const reads = conns.map((c) => c.read(new Uint8Array(1)).catch(() => null));
  const [pa, pb] = socketPair();   // the sys layer's own socketpair
  await sleep(20);

  const ours = fdTable('self');
  const child = spawn('sleep', ['10'], { stdio: 'ignore' });
  try {
    // Wait until the child has exec'd: descriptors left then are the inherited ones.
    for (let i = 0; i < 400; i++) {
      try { if (readlinkSync(`/proc/${child.pid}/exe`).endsWith('/sleep')) break; } catch { /* not yet */ }
      await sleep(5);
    }
    assert.match(readlinkSync(`/proc/${child.pid}/exe`), /\/sleep$/);
    // What the library made: open now, not before. (The child's own files, a locale cache, are not ours.)
    const made = new Set([...ours].filter(([fd, what]) => before.get(fd) !== what).map(([, what]) => what));
    const leaked = [...fdTable(child.pid!)].filter(([fd, what]) => fd > 2 && made.has(what)).map(([fd, what]) => `${fd} ${what}`);
    assert.ok(ours.size - before.size > 200, `the library holds ${ours.size - before.size} descriptors`);
    assert.deepEqual(leaked, [], 'the child inherits nothing the library made');
  } finally {
    child.kill('SIGKILL');
    for (const c of conns) await c.close();
    await Promise.all(reads);
    for (const ln of lns) await ln.close();
    await served;
    for (const np of nps) np.shutdown();
    const { close } = await import('../../src/sys/libc.ts');
    close(pa); close(pb);
  }
});
