// Runs an example as a user would: `node --import tsx examples/X.ts ADDRESS`,
// resolving with the address it prints ("listening on …").
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export async function startExample(name: string, address = '127.0.0.1:0'): Promise<{ child: ChildProcess; address: string; stop(): Promise<void> }> {
  const file = fileURLToPath(new URL(`../../examples/${name}`, import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', file, address], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.setEncoding('utf8');
  const stop = async (): Promise<void> => {
    child.kill('SIGTERM');
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
  };
  try {
    const addr = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (d: string) => {
        out += d;
        const m = /listening on (\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`${name} exited early (${String(code)}): ${out}`)));
    });
    return { child, address: addr, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
