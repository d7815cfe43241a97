// npm test: every test/**/*.test.ts under node:test, through tsx.
// (Node 20's --test takes no globs, so the files are listed here.)
//
// Each file runs in a child process of its own, a few at a time, with its
// own time bound: a file that hangs (a leaked handle, a wait that never
// ends) is killed and reported by name as a failure, and the others still
// run. Each file's output is printed whole when it ends, so parallel files
// do not interleave.
//
//   node scripts/run-tests.mjs [--jobs N] [--file-timeout SECONDS] [files...]
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return find(p);
    return e.name.endsWith('.test.ts') ? [p] : [];
  });
}

const args = process.argv.slice(2);
function option(name, fallback) {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  args.splice(i, 2);
  if (!(v > 0)) { console.error(`run-tests: ${name} needs a positive number`); process.exit(2); }
  return v;
}
// One at a time by default: several tests measure that a deadline fires
// neither early nor late, and a second file beside them on a two-core
// machine makes them flaky. --jobs 2 halves the time where cores are free.
const jobs = Math.min(option('--jobs', 1), availableParallelism());
const fileTimeoutMs = option('--file-timeout', 240) * 1000;
const files = args.length > 0 ? args : find('test').sort();

const running = new Set();
// Interrupted: take the files' process groups down too (they run detached).
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    for (const pid of running) { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } }
    process.exit(1);
  });
}

/** Runs one file; resolves to { file, code, hung, ms, output }. */
function runFile(file) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-timeout=120000', file],
      { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    running.add(child.pid);
    const chunks = [];
    child.stdout.on('data', (d) => chunks.push(d));
    child.stderr.on('data', (d) => chunks.push(d));
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      // The file's whole process group: node:test's own children and any scenario they started.
      try { process.kill(-child.pid, 'SIGKILL'); } catch { child.kill('SIGKILL'); }
    }, fileTimeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child.pid);
      resolve({ file, code: code ?? signal, hung, ms: Date.now() - t0, output: Buffer.concat(chunks).toString() });
    });
  });
}

const queue = [...files];
const results = [];
async function worker() {
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    const r = await runFile(file);
    results.push(r);
    process.stdout.write(`\n── ${r.file} (${(r.ms / 1000).toFixed(1)} s) ──\n${r.output}`);
    if (r.hung) process.stdout.write(`\nrun-tests: ${r.file} HUNG: killed after ${fileTimeoutMs / 1000} s\n`);
  }
}
const t0 = Date.now();
await Promise.all(Array.from({ length: Math.min(jobs, files.length) }, worker));

const failed = results.filter((r) => r.code !== 0);
console.log(`\nrun-tests: ${results.length} files in ${((Date.now() - t0) / 1000).toFixed(0)} s, ${jobs} at a time; ${failed.length} failed`);
for (const r of results.sort((a, b) => b.ms - a.ms).slice(0, 5)) console.log(`  ${(r.ms / 1000).toFixed(1).padStart(6)} s  ${r.file}`);
for (const r of failed) console.log(`run-tests: FAILED ${r.file}${r.hung ? ` (hung: killed after ${fileTimeoutMs / 1000} s)` : ` (exit ${r.code})`}`);
process.exit(failed.length === 0 ? 0 : 1);
