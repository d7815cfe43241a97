// The main thread accepts and hands each connection to one of N worker
// threads in turn (round-robin, so by arrival rather than by a hash of the
// peer as reusePort does): conn.detach() lets the socket go, the descriptor
// number travels in a message, and the worker adopts it with Conn.fromFd()
// on its own poller.
// Run: node --import tsx examples/worker-handoff.ts [workers=2] [address=127.0.0.1:7008]
//      add --demo N to dial N clients itself, print who answered, and exit.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Conn, dial, listen } from '../src/net/index.ts';

// Node 20 workers do not inherit tsx's loader: the worker registers it, then loads this file.
const BOOT = `
const { workerData } = require('node:worker_threads');
import('tsx/esm/api').then((m) => { m.register(); return import(workerData.entry); });
`;

async function serveOne(id: number, fd: number): Promise<void> {
  const conn = Conn.fromFd(fd);
  try {
    for (let chunk; (chunk = await conn.readChunk()) !== null;) {
      await conn.write(new TextEncoder().encode(`worker ${id}: ${new TextDecoder().decode(chunk)}`));
    }
  } finally {
    await conn.close();
  }
}

if (!isMainThread) {
  const id = (workerData as { id: number }).id;
  parentPort!.on('message', (msg: number | 'stop') => {
    if (msg === 'stop') parentPort!.close();
    else void serveOne(id, msg).catch((e: unknown) => console.error(`worker ${id}:`, e));
  });
} else {
  const args = process.argv.slice(2);
  const demoAt = args.indexOf('--demo');
  const demo = demoAt >= 0 ? Number(args.splice(demoAt, 2)[1] ?? 4) : 0;
  const n = Number(args[0] ?? 2);
  const ln = await listen('tcp', args[1] ?? (demo ? '127.0.0.1:0' : '127.0.0.1:7008'));
  const workers = Array.from({ length: n }, (_, id) => new Worker(BOOT, { eval: true, workerData: { id, entry: import.meta.url } }));
  console.log(`listening on ${ln.addr.toString()} with ${n} workers`);

  let next = 0;
  const accepting = (async () => {
    for await (const conn of ln) workers[next++ % n]!.postMessage(await conn.detach());
  })();

  if (demo) {
    const answers: string[] = [];
    for (let i = 0; i < demo; i++) {
      const c = await dial('tcp', ln.addr.toString());
      await c.write(new TextEncoder().encode(`hello ${i}`));
      answers.push(new TextDecoder().decode((await c.readChunk())!));
      await c.close();
    }
    for (const a of answers) console.log(a);
    await ln.close();
    await accepting;
    for (const w of workers) w.postMessage('stop');
  }
}
