// Runs a scenario script in a child process (with its own environment, so
// NETPOLL_FAULTS reaches only it) and returns its last stdout line as JSON.
// A crash, a signal or a hang is a failure that names the scenario.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ChildRun<T> { result: T; stderr: string }

export function runChild<T>(script: URL, args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<ChildRun<T>> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ['--import', 'tsx', '--expose-gc', fileURLToPath(script), ...args], {
      env: { ...process.env, ...env }, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 << 20,
    }, (err, stdout, stderr) => {
      const name = `${fileURLToPath(script)} ${args.join(' ')}`;
      if (err) {
        const why = err.killed ? `killed after ${timeoutMs} ms (hung?)` : `exit ${String(err.code ?? err.signal)}`;
        // A scenario killed by the time bound prints where it was (its SIGTERM handler) before dying.
        reject(new Error(`${name}: ${why}\n${stderr.slice(-4000)}\n${stdout.slice(-2000)}`));
        return;
      }
      const last = stdout.trim().split('\n').pop() ?? '';
      try { resolve({ result: JSON.parse(last) as T, stderr }); } catch {
        reject(new Error(`${name}: no JSON result\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`));
      }
    });
    // Nothing to read on stdin: a scenario that reads fd 0 gets EOF, never a wait.
    child.stdin?.end();
  });
}
