// Starts one echo server as a child pinned to its core, waits for its
// "listening on" line, and gives access to its stats and its real PID.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Built } from './build.ts';
import { stopChild, track } from './children.ts';
import { onLines, tail } from './lines.ts';
import { ROOT_DIR } from './paths.ts';
import { childPids, processName } from './proc-stat.ts';
import type { ServerDef } from './servers.ts';

export interface TimerLateness {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

/** What a server says about itself on "stats" (Node servers and Go). */
export interface ServerStats {
  rss?: number;
  heapUsed?: number;
  timer?: TimerLateness;
}

export interface RunningServer {
  def: ServerDef;
  pid: number;
  address: string;
  alive(): boolean;
  /** Why it died, if it did (exit code and the end of its stderr). */
  death(): string | null;
  /**
   * null for servers that do not answer stats. gc false: no collection
   * first (heap figures then include garbage), for the start of a measured
   * window, which a full collection would stall.
   */
  stats(timeoutMs?: number, gc?: boolean): Promise<ServerStats | null>;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

function isStats(v: unknown): v is ServerStats {
  return typeof v === 'object' && v !== null;
}

export async function startServer(def: ServerDef, port: number, cpus: string, built: Built): Promise<RunningServer> {
  const address = `127.0.0.1:${port}`;
  const l = def.launch(address, built);
  // taskset execs the command, so the child's PID is the server's own.
  const child: ChildProcess = track(
    spawn('taskset', ['-c', cpus, l.cmd, ...l.args], { cwd: ROOT_DIR, env: l.env, stdio: ['pipe', 'pipe', 'pipe'] }),
  );
  const stderrTail = tail(child.stderr!);
  const statsWaiters: Array<(s: ServerStats | null) => void> = [];
  let listening: ((addr: string) => void) | null = null;
  onLines(child.stdout!, (line) => {
    const m = /^listening on (\S+)/.exec(line);
    if (m && listening) {
      listening(m[1] ?? address);
      listening = null;
    } else if (line.startsWith('stats ')) {
      let parsed: ServerStats | null = null;
      try {
        const v: unknown = JSON.parse(line.slice(6));
        parsed = isStats(v) ? v : null;
      } catch {
        parsed = null;
      }
      statsWaiters.shift()?.(parsed);
    }
  });
  child.stdin!.on('error', () => undefined); // a dead server's closed stdin is reported via death()
  let exitInfo: string | null = null;
  const exited = new Promise<void>((res) =>
    child.once('exit', (code, sig) => {
      exitInfo = `exited with ${sig ?? `code ${code}`}${stderrTail() ? `; stderr: ${stderrTail().trim().slice(-800)}` : ''}`;
      for (const w of statsWaiters.splice(0)) w(null);
      res();
    }),
  );
  const spawnError = new Promise<never>((_, rej) => child.once('error', rej));

  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      new Promise<string>((res) => {
        listening = res;
      }),
      exited.then(() => {
        throw new Error(`${def.label} ${exitInfo ?? 'exited'} before listening`);
      }),
      spawnError,
      new Promise<never>((_, rej) => {
        timer = setTimeout(() => rej(new Error(`${def.label} did not print "listening on" within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      }),
    ]);
  } catch (e) {
    await stopChild(child);
    throw e;
  } finally {
    clearTimeout(timer);
  }

  const pid = child.pid ?? -1;
  // CPU and RSS are read from /proc/PID: make sure PID is the server itself,
  // not a launcher that forked the real one.
  // (tsx's --import starts an esbuild helper child: that one is fine; a child
  // running the same program, as the tsx CLI would start, is not.)
  const name = processName(pid);
  const clones = childPids(pid).filter((k) => processName(k) === name);
  if (name === 'taskset' || clones.length > 0) {
    await stopChild(child);
    throw new Error(`${def.label}: PID ${pid} (${name}) is a launcher (children: ${clones.join(',')}), not the server`);
  }

  return {
    def,
    pid,
    address,
    alive: () => child.exitCode === null && child.signalCode === null,
    death: () => exitInfo,
    stats: (timeoutMs = 15_000, gc = true) => {
      if (!def.stats || exitInfo !== null) return Promise.resolve(null);
      return new Promise<ServerStats | null>((res) => {
        const t = setTimeout(() => {
          const i = statsWaiters.indexOf(done);
          if (i >= 0) statsWaiters.splice(i, 1);
          res(null);
        }, timeoutMs);
        const done = (s: ServerStats | null): void => {
          clearTimeout(t);
          res(s);
        };
        statsWaiters.push(done);
        child.stdin!.write(gc ? 'stats\n' : 'stats nogc\n');
      });
    },
    stop: () => stopChild(child),
  };
}
