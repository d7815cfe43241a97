// npm test: every test/**/*.test.ts under node:test, through tsx.
// (Node 20's --test takes no globs, so the files are listed here.)
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return find(p);
    return e.name.endsWith('.test.ts') ? [p] : [];
  });
}

const files = process.argv.length > 2 ? process.argv.slice(2) : find('test').sort();
// Bounded: a test that hangs fails after 2 minutes, and a run that never ends
// (a file whose process a leaked handle keeps alive) is killed after 10.
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-timeout=120000', ...files],
  { stdio: 'inherit', timeout: 600_000, killSignal: 'SIGKILL' });
if (r.error) console.error(`run-tests: ${r.error.message}`);
process.exit(r.status ?? 1);
