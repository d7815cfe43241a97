// Starts a worker thread on a .ts file. On Node 20 a worker does not inherit
// the tsx loader that `--import tsx` registered in the main thread, so the
// worker first registers tsx itself, then imports the file.
import { Worker, type WorkerOptions } from 'node:worker_threads';

const TSX_API = import.meta.resolve('tsx/esm/api');

export function tsWorker(fileUrl: string | URL, opts: WorkerOptions = {}): Worker {
  const code = `import(${JSON.stringify(TSX_API)}).then((m) => { m.register(); return import(${JSON.stringify(String(fileUrl))}); });`;
  return new Worker(code, { ...opts, eval: true });
}
