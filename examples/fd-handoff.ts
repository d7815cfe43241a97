// Descriptor passing: this process accepts TCP connections and hands each
// accepted socket to a second process over a Unix socket (SCM_RIGHTS); the
// second process serves it. The acceptor keeps no connection of its own.
//
//   node --import tsx examples/fd-handoff.ts 127.0.0.1:7008
//   printf 'hi\n' | nc -q1 127.0.0.1 7008     # -> "worker <pid>: hi"
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cmsgSpace, dial, fileConn, listen, parseUnixRights, unixRights, type Conn } from '../src/index.ts';

async function acceptor(address: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fd-handoff-'));
  const path = join(dir, 'handoff.sock');
  const handoff = await listen('unix', path);
  const worker = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--worker', path], { stdio: 'inherit' });
  const toWorker = await handoff.accept();
  await handoff.close();

  const ln = await listen('tcp', address);
  console.log(`listening on ${String(ln.addr)}`);
  const stop = async (): Promise<void> => {
    worker.kill();
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  worker.on('exit', () => void stop());

  for await (const conn of ln) {
    // One byte of payload carries the descriptor; then our copy is closed.
    await toWorker.writeMsg(Uint8Array.of(1), unixRights(conn.fd.sysfd));
    await conn.close();
  }
}

async function serveOne(conn: Conn): Promise<void> {
  try {
    const prefix = new TextEncoder().encode(`worker ${process.pid}: `);
    for (;;) {
      const chunk = await conn.readChunk();
      if (chunk === null) return;
      await conn.writev([prefix, chunk]);
    }
  } catch {
    // the client went away
  } finally {
    await conn.close();
  }
}

async function workerMain(path: string): Promise<void> {
  const fromAcceptor = await dial('unix', path);
  const buf = new Uint8Array(64);
  const oob = new Uint8Array(cmsgSpace(4 * 8));
  for (;;) {
    const { n, oobn, controlTruncated } = await fromAcceptor.readMsg(buf, oob);
    if (n === 0) return; // the acceptor is gone
    if (controlTruncated) console.error('worker: descriptors were dropped (oob too small)');
    for (const fd of parseUnixRights(oob, oobn)) void serveOne(fileConn(fd));
  }
}

if (process.argv[2] === '--worker') {
  await workerMain(process.argv[3]!);
  process.exit(0);
} else {
  await acceptor(process.argv[2] ?? '127.0.0.1:7008');
}
