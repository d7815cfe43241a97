// Where a standalone harness (bench/udp, bench/http) leaves a run: the table
// it printed as results/<stamp>-<kind>.md and every sample as .json beside it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESULTS_DIR } from './paths.ts';

export function writeStandaloneResults(kind: string, table: string, data: unknown): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  writeFileSync(join(RESULTS_DIR, `${stamp}-${kind}.md`), `${table}\n`);
  writeFileSync(join(RESULTS_DIR, `${stamp}-${kind}.json`), JSON.stringify(data, null, 2));
}
