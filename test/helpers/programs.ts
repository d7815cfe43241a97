// Running programs nobody here wrote (curl, wrk, python3) as test peers:
// whether one is installed, and one run of it with a time bound.
import { spawn, spawnSync } from 'node:child_process';

/** True when `cmd args` runs and exits 0 (the program is there and works). */
export function has(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

export interface RunResult { code: number | null; signal: NodeJS.Signals | null; out: string; err: string }

/**
 * Runs a program to its end and resolves with its exit code and output; one
 * that is still running after `timeoutMs` is killed (the result says so by
 * its signal), so a peer that hangs fails the test instead of stalling it.
 */
export function run(cmd: string, args: string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    p.on('error', (e) => { clearTimeout(timer); reject(e); });
    p.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, out, err }); });
    if (p.stdin) {
      p.stdin.on('error', () => {}); // the program may exit before reading its input
      p.stdin.end(opts.input);
    }
  });
}
