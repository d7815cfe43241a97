// examples/http-server.ts and examples/http-client.ts run as a user would:
// the server answers curl-free Node clients and the example client, and
// SIGTERM shuts it down gracefully.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startExample } from '../helpers/examples.ts';

const run = promisify(execFile);

test('http-server example serves, the http-client example reuses one connection, SIGTERM closes gracefully', async () => {
  const { child, address, stop } = await startExample('http-server.ts');
  try {
    let out = '';
    child.stdout!.on('data', (d: string) => { out += d; });
    const client = fileURLToPath(new URL('../../examples/http-client.ts', import.meta.url));
    const { stdout } = await run(process.execPath, ['--import', 'tsx', client, `http://${address}/hi`, '3'], { encoding: 'utf8' });
    const lines = stdout.trim().split('\n');
    assert.equal(lines.length, 3);
    const ports = new Set(lines.map((l) => /via local port (\d+)/.exec(l)?.[1]));
    assert.equal(ports.size, 1, `one pooled connection: ${stdout}`);
    assert.match(lines[0]!, /^200 via local port \d+: hello 127\.0\.0\.1:\d+, you asked for \/hi$/);
    const stats = await fetch(`http://${address}/stats`).then((r) => r.json()) as { listeners: { accepted: number }[] };
    assert.ok(stats.listeners[0]!.accepted >= 2);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit') as [number | null];
    assert.equal(code, 0);
    assert.match(out, /shutting down\nclosed/);
  } finally {
    await stop();
  }
});
