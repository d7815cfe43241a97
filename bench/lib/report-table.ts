// The results as text: one table per scenario, for the terminal and as Markdown.
import { METRICS, fmt, fmtRatio } from './metrics.ts';
import { SERVERS } from './servers.ts';
import type { ScenarioSummary } from './summary.ts';

interface Grid {
  head: string[];
  rows: string[][];
}

function grid(s: ScenarioSummary): Grid {
  const head = ['server', ...s.metrics.map((k) => METRICS[k].label)];
  for (const k of s.ratioMetrics) {
    const short = METRICS[k].short;
    if (s.baseline) head.push(`${short} ÷base`);
    else head.push(`${short} ÷node`, `${short} ÷C`);
  }
  const rows = s.servers.map((sv) => {
    const label = sv.failures ? `${sv.label} (${sv.failures}/${sv.runs} FAILED)` : sv.label;
    const row = [label, ...s.metrics.map((k) => fmt(k, sv.medians[k]))];
    for (const k of s.ratioMetrics) {
      const r = sv.ratios[k];
      if (s.baseline) row.push(fmtRatio(r?.vsBaseline));
      else row.push(fmtRatio(r?.vsNode), fmtRatio(r?.vsC));
    }
    return row;
  });
  return { head, rows };
}

function caption(s: ScenarioSummary): string {
  const rounds = s.rounds;
  return `${s.id}: ${s.title} (median of ${rounds} round${rounds === 1 ? '' : 's'})${s.note ? ` — ${s.note}` : ''}`;
}

export function terminalTables(all: ScenarioSummary[]): string {
  const out: string[] = [];
  for (const s of all) {
    out.push('', caption(s));
    const g = grid(s);
    const widths = g.head.map((h, i) => Math.max(h.length, ...g.rows.map((r) => (r[i] ?? '').length)));
    const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
    out.push(line(g.head), widths.map((w) => '-'.repeat(w)).join('  '));
    for (const r of g.rows) out.push(line(r));
    for (const sk of s.skipped) out.push(`  skipped ${SERVERS[sk.server].label}: ${sk.reason}`);
  }
  return out.join('\n');
}

export function markdownTables(all: ScenarioSummary[], header: string[]): string {
  const out: string[] = [...header];
  for (const s of all) {
    out.push('', `### ${caption(s)}`, '');
    const g = grid(s);
    out.push(`| ${g.head.join(' | ')} |`, `|${g.head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
    for (const r of g.rows) out.push(`| ${r.join(' | ')} |`);
    if (s.skipped.length) out.push('', ...s.skipped.map((sk) => `- skipped ${SERVERS[sk.server].label}: ${sk.reason}`));
  }
  return `${out.join('\n')}\n`;
}
