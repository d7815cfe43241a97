// `for await (const conn of listener)` rides out temporary accept errors
// as Go's servers do ("if ne, ok := err.(net.Error); ok && ne.Temporary()":
// sleep 5 ms, doubling to 1 s, and go on), here with a really full
// descriptor table (EMFILE) in a child process with a small limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { dial, OpError } from '../../src/net/index.ts';
import { Netpoll } from '../../src/netpoll/index.ts';

const fixture = fileURLToPath(new URL('../fixtures/accept-emfile.ts', import.meta.url));
const N = 300;

async function run(mode: 'hook' | 'nohook'): Promise<{ served: number; errors: Array<{ code: string; temporary: boolean; retryInMs: number }>; echoed: number }> {
  const child = spawn('sh', ['-c', `ulimit -n 128 && exec "${process.execPath}" --import tsx "${fixture}" ${mode}`],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const np = new Netpoll();
  try {
    const first = await lines.next();
    const { port, filled } = JSON.parse(first.value as string) as { port: number; filled: number };
    assert.ok(filled > 0);
    // Connections queue in the kernel while the child's accept fails with EMFILE.
    const echoed = await Promise.all(Array.from({ length: N }, async () => {
      const c = await dial('tcp', `127.0.0.1:${port}`, { netpoll: np, timeout: 20_000 });
      try {
        c.setDeadline(Date.now() + 20_000);
        await c.write(Uint8Array.of(42));
        const b = new Uint8Array(1);
        return (await c.read(b)) === 1 && b[0] === 42 ? 1 : 0;
      } catch (e) {
        if (e instanceof OpError) return 0;
        throw e;
      } finally { await c.close(); }
    }));
    child.stdin!.end('stop\n');
    const last = await lines.next();
    const report = JSON.parse(last.value as string) as { served: number; errors: Array<{ code: string; temporary: boolean; retryInMs: number }> };
    return { ...report, echoed: echoed.reduce<number>((a, b) => a + b, 0) };
  } finally {
    np.shutdown();
    child.kill();
  }
}

test('for await over a listener backs off on EMFILE (5 ms doubling, as Go\'s servers), tells onAcceptError, and serves every connection once descriptors are free', async () => {
  const r = await run('hook');
  assert.equal(r.echoed, N);
  assert.equal(r.served, N);
  assert.ok(r.errors.length >= 4, JSON.stringify(r.errors));
  for (const e of r.errors) { assert.equal(e.code, 'EMFILE'); assert.equal(e.temporary, true); }
  assert.deepEqual(r.errors.slice(0, 4).map((e) => e.retryInMs), [5, 10, 20, 40]);
});

test('without an onAcceptError hook the retried accept error is a process warning, and the loop still serves everyone', async () => {
  const r = await run('nohook');
  assert.equal(r.echoed, N);
  assert.equal(r.served, N);
  // One warning per run of errors (the table can fill again with connections being served).
  assert.ok(r.errors.length >= 1);
  assert.match(r.errors[0]!.code, /^accept tcp 127\.0\.0\.1:\d+: accept: too many open files; retrying in 5 ms$/);
});
