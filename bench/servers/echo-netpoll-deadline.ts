// netpoll echo where every read first sets a read deadline: Go's usual
// pattern (`c.SetReadDeadline(time.Now().Add(d)); c.Read(buf)`). Compared in
// the "deadline" scenario with the same loop without deadlines
// (examples/echo-server.ts, which it copies line for line otherwise): the
// target is ≥ 0.9× its round trips/s.
// Usage: node --import tsx bench/servers/echo-netpoll-deadline.ts 127.0.0.1:PORT
import { listen, type Conn } from '../../src/net/index.ts';

const IDLE_TIMEOUT_MS = 30_000; // never reached under load: the cost measured is arming, not firing

async function serve(conn: Conn): Promise<void> {
  try {
    for (;;) {
      conn.setReadDeadline(Date.now() + IDLE_TIMEOUT_MS);
      const chunk = await conn.readChunk();
      if (chunk === null) return;
      await conn.write(chunk);
    }
  } catch {
    // reset by peer or deadline exceeded: either way this connection is done
  } finally {
    conn.close();
  }
}

const address = process.argv[2] ?? '127.0.0.1:0';
const ln = await listen('tcp', address);
// The harness always passes a concrete port, so the address is the one bound.
process.stdout.write(`listening on ${address}\n`);
for await (const conn of ln) void serve(conn);
