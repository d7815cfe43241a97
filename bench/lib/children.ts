// Every child process the harness starts is registered here and killed when
// the harness exits, however it exits (normal end, error, Ctrl-C, SIGTERM).
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();

export function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

export function killAll(): void {
  for (const c of live) {
    if (c.exitCode === null && c.signalCode === null) {
      try {
        c.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  live.clear();
}

let installed = false;
export function installExitHandlers(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      killAll();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (e) => {
    killAll();
    process.stderr.write(`bench: ${e.stack ?? String(e)}\n`);
    process.exit(1);
  });
  process.on('unhandledRejection', (e) => {
    killAll();
    process.stderr.write(`bench: unhandled rejection: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}

/** Waits for a child to exit, killing it with SIGKILL after `ms`. */
export async function stopChild(child: ChildProcess, ms = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  await exited;
  clearTimeout(timer);
}
