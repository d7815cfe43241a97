// Starts a TypeScript file in a worker thread: Node 20 workers do not
// inherit tsx's loader from --import, so the worker registers it first.
import { Worker, type WorkerOptions } from 'node:worker_threads';

const BOOT = `
const { workerData } = require('node:worker_threads');
import('tsx/esm/api').then((m) => { m.register(); return import(workerData.__entry); });
`;

export function tsWorker(entry: URL, opts: WorkerOptions & { workerData?: Record<string, unknown> } = {}): Worker {
  return new Worker(BOOT, { ...opts, eval: true, workerData: { ...opts.workerData, __entry: entry.href } });
}
