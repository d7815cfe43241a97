// Runs the C load generator pinned to its own core and reads its JSON lines.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Built } from './build.ts';
import { stopChild, track } from './children.ts';
import { onLines, tail } from './lines.ts';
import { LOADGEN_CPUS } from './paths.ts';

/** The last JSON line of a run. Numbers only, besides mode/ok/error. */
export interface LoadgenResult {
  mode: string;
  ok: boolean;
  error?: string;
  exit?: number;
  [figure: string]: number | string | boolean | undefined;
}

export interface LoadgenEvent {
  event: string;
  [k: string]: unknown;
}

function parse(line: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function spawnLoadgen(built: Built, args: string[]): ChildProcess {
  return track(spawn('taskset', ['-c', LOADGEN_CPUS, built.loadgen, ...args], { stdio: ['pipe', 'pipe', 'pipe'] }));
}

/** One run of echo, bulk or burst mode; never rejects: failures come back with ok=false. */
export function runLoadgen(
  built: Built,
  args: string[],
  timeoutMs: number,
  onEvent?: (ev: LoadgenEvent) => void,
): Promise<LoadgenResult> {
  const child = spawnLoadgen(built, args);
  child.stdin!.end();
  const errTail = tail(child.stderr!);
  let result: LoadgenResult | null = null;
  onLines(child.stdout!, (line) => {
    const v = parse(line);
    if (!v) return;
    if (typeof v['event'] === 'string') onEvent?.(v as LoadgenEvent);
    else if (typeof v['mode'] === 'string') result = v as LoadgenResult;
  });
  return new Promise((res) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      res({ mode: args[1] ?? '?', ok: false, error: `cannot start loadgen: ${e.message}` });
    });
    child.once('close', (code, sig) => {
      clearTimeout(timer);
      const r: LoadgenResult | null = result;
      if (r && r.ok && code === 0) res(r);
      else if (r) res({ ...r, ok: false });
      else {
        const why = sig === 'SIGKILL' ? `killed after ${timeoutMs} ms` : `exit ${code ?? sig}`;
        res({ mode: args[1] ?? '?', ok: false, exit: code ?? -1, error: `loadgen ${why}: ${errTail().trim()}` });
      }
    });
  });
}

/** Idle mode: a loadgen that opens and holds connections on command. */
export class IdleSession {
  private readonly child: ChildProcess;
  private waiters: Array<(ev: LoadgenEvent | null) => void> = [];
  private unclaimed: LoadgenEvent[] = [];
  private final: LoadgenResult | null = null;
  private readonly errTail: () => string;
  private closed = false;

  constructor(built: Built, args: string[]) {
    this.child = spawnLoadgen(built, ['--mode', 'idle', ...args]);
    this.errTail = tail(this.child.stderr!);
    this.child.stdin!.on('error', () => undefined);
    onLines(this.child.stdout!, (line) => {
      const v = parse(line);
      if (!v) return;
      if (v['event'] === 'ready') {
        const w = this.waiters.shift();
        if (w) w(v as LoadgenEvent);
        else this.unclaimed.push(v as LoadgenEvent);
      }
      else if (typeof v['mode'] === 'string') {
        this.final = v as LoadgenResult;
        if (this.final.ok === false) for (const w of this.waiters.splice(0)) w(null);
      }
    });
    this.child.once('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w(null);
    });
  }

  /** Waits for the next "ready" line (the first one comes unasked). */
  private next(timeoutMs: number): Promise<LoadgenEvent> {
    const early = this.unclaimed.shift();
    if (early) return Promise.resolve(early);
    return new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error(`idle loadgen: no answer within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push((ev) => {
        clearTimeout(t);
        if (ev) res(ev);
        else rej(new Error(`idle loadgen failed: ${this.final?.error ?? (this.errTail().trim() || 'exited')}`));
      });
      if (this.closed) this.waiters.shift()?.(null);
    });
  }

  started(timeoutMs = 10_000): Promise<LoadgenEvent> {
    return this.next(timeoutMs);
  }

  command(cmd: string, timeoutMs: number): Promise<LoadgenEvent> {
    const p = this.next(timeoutMs);
    this.child.stdin!.write(`${cmd}\n`);
    return p;
  }

  async quit(): Promise<void> {
    if (!this.closed) this.child.stdin!.end('quit\n');
    await stopChild(this.child, 5000);
  }
}
