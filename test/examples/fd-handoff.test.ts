// examples/fd-handoff.ts, run as a user would: TCP connections accepted by
// one process are served by the second process it handed them to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { dial } from '../../src/net/index.ts';

const example = fileURLToPath(new URL('../../examples/fd-handoff.ts', import.meta.url));

test('fd-handoff example: each accepted TCP connection is served by the worker process it was passed to', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', example, '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    let out = '';
    child.stdout.setEncoding('utf8');
    const address = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: string) => {
        out += d;
        const m = /listening on (\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`example exited early (${String(code)}): ${out}`)));
    });
    const workers = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const c = await dial('tcp', address);
      await c.write(new TextEncoder().encode(`hello ${i}\n`));
      let got = '';
      const buf = new Uint8Array(256);
      c.setReadDeadline(Date.now() + 15_000);
      while (!got.endsWith('\n')) {
        const n = await c.read(buf);
        if (n === null) break;
        got += new TextDecoder().decode(buf.subarray(0, n));
      }
      const m = /^worker (\d+): hello (\d)\n$/.exec(got);
      assert.ok(m, `unexpected reply ${JSON.stringify(got)}`);
      assert.equal(m[2], String(i));
      assert.notEqual(Number(m[1]), child.pid, 'served by the second process, not the acceptor');
      workers.add(m[1]!);
      await c.close();
    }
    assert.equal(workers.size, 1);
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await once(child, 'exit');
  }
});
