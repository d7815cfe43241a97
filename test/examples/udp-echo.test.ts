// examples/udp-echo.ts, run as a user would, with a PacketConn client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dialPacket } from '../../src/net/index.ts';
import { startExample } from '../helpers/examples.ts';

test('udp-echo example echoes every datagram, empty ones included, to its sender', async () => {
  const { address, stop } = await startExample('udp-echo.ts');
  try {
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
    await stop();
  }
});
