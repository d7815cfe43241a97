// Node's http client over netpoll connections: a NetpollAgent with
// keep-alive pools them, so these requests share one connection (its local
// port is printed with each reply).
// Usage: node --import tsx examples/http-client.ts URL [count]
import http from 'node:http';
import { NetpollAgent } from '../src/node/index.ts';

const url = process.argv[2] ?? 'http://127.0.0.1:8080/';
const count = Number(process.argv[3] ?? 3);
const agent = new NetpollAgent({ keepAlive: true });

function get(u: string): Promise<{ status: number; body: string; port: number | undefined }> {
  return new Promise((resolve, reject) => {
    http.get(u, { agent }, (res) => {
      const port = res.socket.localPort;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, port }));
    }).on('error', reject);
  });
}

for (let i = 0; i < count; i++) {
  const r = await get(url);
  console.log(`${r.status} via local port ${String(r.port)}: ${r.body.trim()}`);
}
agent.destroy();
