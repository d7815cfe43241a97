// netpoll echo where every read first sets a read deadline: Go's usual
// pattern (`c.SetReadDeadline(time.Now().Add(d)); c.Read(buf)`). Compared in
// the "deadline" scenario with the same loop without deadlines
// (examples/echo-server.ts, whose loop it copies otherwise): the target is
// ≥ 0.9× its round trips/s.
// Usage: node --import tsx bench/servers/echo-netpoll-deadline.ts 127.0.0.1:PORT
import { serveConns } from './conn-server.ts';

const IDLE_TIMEOUT_MS = 30_000; // never reached under load: the cost measured is arming, not firing

await serveConns(async (conn) => {
  for (;;) {
    conn.setReadDeadline(Date.now() + IDLE_TIMEOUT_MS);
    const chunk = await conn.readChunk();
    if (chunk === null) return;
    await conn.write(chunk);
  }
});
