// examples/fd-handoff.ts, run as a user would: TCP connections accepted by
// one process are served by the second process it handed them to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dial } from '../../src/net/index.ts';
import { startExample } from '../helpers/examples.ts';

test('fd-handoff example: each accepted TCP connection is served by the worker process it was passed to', async () => {
  const { child, address, stop } = await startExample('fd-handoff.ts');
  try {
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
    await stop();
  }
});
