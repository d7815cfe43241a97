// Picks a free loopback port below the ephemeral range (32768+ here), so the
// load generator's own outgoing ports never collide with a server's.
import net from 'node:net';

function tryListen(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = net.createServer();
    s.once('error', () => res(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => res(true)));
  });
}

export async function freePort(): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (await tryListen(port)) return port;
  }
  throw new Error('no free port found in 20000-32000 after 100 tries');
}
