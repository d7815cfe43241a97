// examples/udp-echo.ts, run as a user would, with a PacketConn client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { dialPacket } from '../../src/net/index.ts';

const example = fileURLToPath(new URL('../../examples/udp-echo.ts', import.meta.url));

test('udp-echo example echoes every datagram, empty ones included, to its sender', async () => {
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
      child.on('exit', (code) => reject(new Error(`example exited early (${String(code)})`)));
    });
    const c = await dialPacket('udp', address);
    const buf = new Uint8Array(100);
    for (const msg of ['one', '', 'three']) {
      await c.write(new TextEncoder().encode(msg));
      c.setReadDeadline(Date.now() + 10_000);
      const n = await c.read(buf);
      assert.equal(new TextDecoder().decode(buf.subarray(0, n)), msg);
    }
    await c.close();
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await once(child, 'exit');
  }
});
