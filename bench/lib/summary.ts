// Turns the individual runs into medians and ratios per scenario and server.
import type { Values } from './measure.ts';
import { METRICS, median, type MetricKey } from './metrics.ts';
import type { Scenario } from './scenarios.ts';
import { SERVERS, type ServerId } from './servers.ts';

export interface RunRecord {
  scenario: string;
  server: ServerId;
  round: number;
  ok: boolean;
  mismatch?: boolean;
  error?: string;
  values: Values;
}

export interface Ratio {
  /** value ÷ node:net's value (raw, whatever the metric's direction) */
  vsNode?: number;
  /** value ÷ C's value */
  vsC?: number;
  /** value ÷ the scenario's own baseline (deadline, workers) */
  vsBaseline?: number;
}

export interface ServerSummary {
  server: ServerId;
  label: string;
  runs: number;
  failures: number;
  medians: Values;
  ratios: Partial<Record<MetricKey, Ratio>>;
}

export interface ScenarioSummary {
  id: string;
  title: string;
  kind: Scenario['kind'];
  note?: string;
  metrics: MetricKey[];
  ratioMetrics: MetricKey[];
  baseline?: ServerId;
  rounds: number;
  servers: ServerSummary[];
  skipped: Array<{ server: ServerId; reason: string }>;
}

/** >1 means better than the reference, whichever way the metric goes. */
export function advantage(key: MetricKey, r: number | undefined): number | undefined {
  if (r === 0 && METRICS[key].better === 'lower') return Infinity; // e.g. C's 0 B per idle connection
  if (r === undefined || !Number.isFinite(r) || r <= 0) return undefined;
  return METRICS[key].better === 'higher' ? r : 1 / r;
}

export function summarize(s: Scenario, runs: RunRecord[], skipped: Array<{ server: ServerId; reason: string }>, rounds: number): ScenarioSummary {
  const ratioMetrics = [...new Set<MetricKey>([s.metrics[0] as MetricKey, ...(s.ratioMetrics ?? [])])];
  const servers: ServerSummary[] = [];
  for (const id of s.servers) {
    const mine = runs.filter((r) => r.server === id);
    if (mine.length === 0) continue;
    const ok = mine.filter((r) => r.ok);
    const medians: Values = {};
    for (const k of s.metrics) {
      const xs = ok.map((r) => r.values[k]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
      if (xs.length) medians[k] = median(xs);
    }
    servers.push({ server: id, label: SERVERS[id].label, runs: mine.length, failures: mine.length - ok.length, medians, ratios: {} });
  }
  const find = (id: ServerId): ServerSummary | undefined => servers.find((x) => x.server === id);
  for (const sv of servers) {
    for (const k of ratioMetrics) {
      const v = sv.medians[k];
      if (v === undefined) continue;
      const div = (ref: ServerSummary | undefined): number | undefined => {
        const b = ref?.medians[k];
        return b === undefined || b === 0 ? undefined : v / b;
      };
      sv.ratios[k] = s.baseline ? { vsBaseline: div(find(s.baseline)) } : { vsNode: div(find('node-net')), vsC: div(find('c-epoll')) };
    }
  }
  return { id: s.id, title: s.title, kind: s.kind, note: s.note, metrics: s.metrics, ratioMetrics, baseline: s.baseline, rounds, servers, skipped };
}
