// netpoll echo on W worker threads (default 2), each with its own listener
// on the same port via reusePort: the kernel spreads connections across
// them. Compared with W=1 of the same file in the "workers" scenario.
// Usage: node --import tsx bench/servers/echo-netpoll-workers.ts 127.0.0.1:PORT [W]
// The port must be concrete (not 0): each worker binds it separately.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { tsWorker } from '../lib/ts-worker.ts';

interface Job {
  address: string;
}

async function workerMain(job: Job): Promise<void> {
  const { listen } = await import('../../src/net/index.ts');
  type Conn = Awaited<ReturnType<Awaited<ReturnType<typeof listen>>['accept']>>;
  // examples/echo-server.ts's loop.
  const serve = async (conn: Conn): Promise<void> => {
    try {
      for (;;) {
        const chunk = await conn.readChunk();
        if (chunk === null) return;
        await conn.write(chunk);
      }
    } catch {
      // reset by peer: this connection is done
    } finally {
      conn.close();
    }
  };
  const ln = await listen('tcp', job.address, { reusePort: true });
  parentPort?.postMessage('listening');
  for await (const conn of ln) void serve(conn);
}

if (isMainThread) {
  const address = process.argv[2] ?? '';
  const count = Math.max(1, Number(process.argv[3] ?? '2'));
  if (!/^127\.\d+\.\d+\.\d+:[1-9]\d*$/.test(address)) {
    process.stderr.write('usage: echo-netpoll-workers.ts 127.0.0.1:PORT [WORKERS] (port must not be 0)\n');
    process.exit(2);
  }
  let ready = 0;
  for (let i = 0; i < count; i++) {
    const w = tsWorker(import.meta.url, { workerData: { address } satisfies Job });
    w.on('message', (m: unknown) => {
      if (m === 'listening' && ++ready === count) process.stdout.write(`listening on ${address}\n`);
    });
    w.on('error', (e: Error) => {
      process.stderr.write(`worker ${i}: ${e.stack ?? String(e)}\n`);
      process.exit(1);
    });
  }
} else {
  await workerMain(workerData as Job);
}
