// The servers under test: how to start each one, and whether it can run here.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Built } from './build.ts';
import { BENCH_DIR, ROOT_DIR } from './paths.ts';

export type ServerId =
  | 'node-net'
  | 'c-epoll'
  | 'go'
  | 'netpoll'
  | 'netpoll-handler'
  | 'netpoll-deadline'
  | 'netpoll-read'
  | 'netpoll-workers-1'
  | 'netpoll-workers-2'
  | 'c-epoll-cross';

export interface Launch {
  cmd: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

export interface ServerDef {
  id: ServerId;
  label: string;
  /** Answers "stats" on stdin (heap, timer lateness). */
  stats: boolean;
  /** null when it can run; otherwise why it is skipped. */
  missing(built: Built): string | null;
  launch(address: string, built: Built): Launch;
}

const HOOK = resolve(BENCH_DIR, 'servers/stats-hook.ts');
const NETPOLL_INDEX = resolve(ROOT_DIR, 'src/net/index.ts'); // where examples/echo-server.ts imports listen from

// Node servers start as `node --import tsx file.ts`, never through the tsx
// CLI: that one spawns a child, and the PID we measure must be the server's.
function nodeLaunch(entry: string, address: string, extra: string[] = []): Launch {
  return {
    cmd: process.execPath,
    args: ['--expose-gc', '--import', 'tsx', '--import', pathToFileURL(HOOK).href, entry, address, ...extra],
    env: { ...process.env },
  };
}

// The netpoll rows wait for examples/echo-server.ts: it is the sign that the
// net layer (listen, Conn) is there. Once it exists they run, and a broken
// net layer then fails the bench instead of being skipped.
function needFiles(...files: string[]): string | null {
  for (const f of files) if (!existsSync(f)) return `${f.slice(ROOT_DIR.length + 1)} does not exist yet`;
  return null;
}

const examplesEcho = resolve(ROOT_DIR, 'examples/echo-server.ts');
const handlerEcho = resolve(ROOT_DIR, 'examples/echo-server-handler.ts');
const SERVE_MODULE = resolve(ROOT_DIR, 'src/net/serve.ts');
const deadlineEntry = resolve(BENCH_DIR, 'servers/echo-netpoll-deadline.ts');
const readEntry = resolve(BENCH_DIR, 'servers/echo-netpoll-read.ts');
const workersEntry = resolve(BENCH_DIR, 'servers/echo-netpoll-workers.ts');

export const SERVERS: Record<ServerId, ServerDef> = {
  'node-net': {
    id: 'node-net',
    label: 'node:net',
    stats: true,
    missing: () => null,
    launch: (a) => nodeLaunch(resolve(BENCH_DIR, 'servers/echo-node-net.ts'), a),
  },
  'c-epoll': {
    id: 'c-epoll',
    label: 'C epoll',
    stats: false,
    missing: () => null,
    launch: (a, b) => ({ cmd: b.echoEpoll, args: [a], env: { ...process.env } }),
  },
  'c-epoll-cross': {
    id: 'c-epoll-cross',
    label: 'C epoll --cross (must fail)',
    stats: false,
    missing: () => null,
    launch: (a, b) => ({ cmd: b.echoEpoll, args: [a, '--cross'], env: { ...process.env } }),
  },
  go: {
    id: 'go',
    label: 'Go net',
    stats: true,
    missing: (b) => (b.echoGo ? null : b.goMissing),
    launch: (a, b) => ({ cmd: b.echoGo ?? 'false', args: [a], env: { ...process.env, GOMAXPROCS: '1' } }),
  },
  netpoll: {
    id: 'netpoll',
    label: 'netpoll',
    stats: true,
    missing: () => needFiles(NETPOLL_INDEX, examplesEcho),
    launch: (a) => nodeLaunch(examplesEcho, a),
  },
  'netpoll-handler': {
    id: 'netpoll-handler',
    label: 'netpoll serve()',
    stats: true,
    missing: () => needFiles(NETPOLL_INDEX, SERVE_MODULE, handlerEcho),
    launch: (a) => nodeLaunch(handlerEcho, a),
  },
  'netpoll-read': {
    id: 'netpoll-read',
    label: 'netpoll read(buf)',
    stats: true,
    missing: () => needFiles(NETPOLL_INDEX, readEntry),
    launch: (a) => nodeLaunch(readEntry, a),
  },
  'netpoll-deadline': {
    id: 'netpoll-deadline',
    label: 'netpoll +deadline',
    stats: true,
    missing: () => needFiles(NETPOLL_INDEX, examplesEcho, deadlineEntry),
    launch: (a) => nodeLaunch(deadlineEntry, a),
  },
  'netpoll-workers-1': {
    id: 'netpoll-workers-1',
    label: 'netpoll 1 worker',
    stats: true,
    missing: () => needFiles(NETPOLL_INDEX, examplesEcho, workersEntry),
    launch: (a) => nodeLaunch(workersEntry, a, ['1']),
  },
  'netpoll-workers-2': {
    id: 'netpoll-workers-2',
    label: 'netpoll 2 workers',
    stats: true,
    missing: () => needFiles(NETPOLL_INDEX, examplesEcho, workersEntry),
    launch: (a) => nodeLaunch(workersEntry, a, ['2']),
  },
};
