// An SVG bar chart of the ratios, built as a string: no browser, no
// dependency. One panel per scenario, one bar per server, showing how much
// better than node:net it is on the scenario's headline figure (>1 = better),
// or than the scenario's own baseline (deadline, workers).
import { METRICS } from './metrics.ts';
import { SERVERS, type ServerId } from './servers.ts';
import { advantage, type ScenarioSummary } from './summary.ts';

const COLORS: Record<ServerId, string> = {
  'node-net': '#6b7280',
  'c-epoll': '#2563eb',
  go: '#0891b2',
  netpoll: '#dc2626',
  'netpoll-handler': '#b91c1c',
  'netpoll-deadline': '#ea580c',
  'netpoll-read': '#f59e0b',
  'netpoll-workers-1': '#db2777',
  'netpoll-workers-2': '#9333ea',
  'c-epoll-cross': '#000000',
};

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function ratioChart(all: ScenarioSummary[], title: string): string {
  const W = 960;
  const LABEL_W = 170;
  const PLOT_W = W - LABEL_W - 90;
  const BAR_H = 16;
  const GAP = 4;
  interface Bar {
    server: ServerId;
    label: string;
    adv: number | undefined;
  }
  // One panel per ratio figure: the headline, then e.g. server CPU per round trip.
  const panels = all
    .flatMap((s) =>
      s.ratioMetrics.map((key) => {
        const bars: Bar[] = s.servers.map((sv) => {
          const r = sv.ratios[key];
          return { server: sv.server, label: sv.label, adv: advantage(key, s.baseline ? r?.vsBaseline : r?.vsNode) };
        });
        const ref = s.baseline ? SERVERS[s.baseline].label : 'node:net';
        const dir = METRICS[key].better === 'lower' ? `${ref} ÷ server` : `server ÷ ${ref}`;
        return { s, key, bars, sub: `${METRICS[key].label}: ${dir} (>1 is better)` };
      }),
    )
    .filter((p) => p.bars.length > 0);

  const finite = panels.flatMap((p) => p.bars.map((b) => b.adv ?? 0)).filter((v) => Number.isFinite(v));
  const maxAdv = Math.min(8, Math.max(2, ...finite));
  const scaleMax = Math.ceil(maxAdv * 2) / 2;
  const x = (v: number): number => LABEL_W + (Math.min(v, scaleMax) / scaleMax) * PLOT_W;

  const parts: string[] = [];
  let y = 40;
  for (const p of panels) {
    parts.push(`<text x="10" y="${y}" font-weight="bold">${esc(`${p.s.id}: ${p.s.title}`)}</text>`);
    parts.push(`<text x="10" y="${y + 14}" font-size="11" fill="#555">${esc(p.sub)}</text>`);
    y += 22;
    const top = y;
    for (const b of p.bars) {
      parts.push(`<text x="${LABEL_W - 6}" y="${y + BAR_H - 4}" text-anchor="end">${esc(b.label)}</text>`);
      if (b.adv !== undefined) {
        const w = Math.max(1, x(b.adv) - LABEL_W);
        parts.push(`<rect x="${LABEL_W}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${COLORS[b.server]}"/>`);
        const txt = Number.isFinite(b.adv) ? `${b.adv.toFixed(2)}×` : '∞ (zero)';
        parts.push(`<text x="${(LABEL_W + w + 4).toFixed(1)}" y="${y + BAR_H - 4}">${txt}</text>`);
      } else {
        parts.push(`<text x="${LABEL_W + 4}" y="${y + BAR_H - 4}" fill="#999">no data</text>`);
      }
      y += BAR_H + GAP;
    }
    const one = x(1).toFixed(1);
    parts.push(`<line x1="${one}" y1="${top - 2}" x2="${one}" y2="${y}" stroke="#111" stroke-dasharray="3,2"/>`);
    y += 18;
  }
  // axis
  const ticks: string[] = [];
  for (let v = 0; v <= scaleMax + 1e-9; v += scaleMax > 4 ? 1 : 0.5) {
    ticks.push(`<line x1="${x(v).toFixed(1)}" y1="${y - 10}" x2="${x(v).toFixed(1)}" y2="${y - 4}" stroke="#333"/>`);
    ticks.push(`<text x="${x(v).toFixed(1)}" y="${y + 8}" text-anchor="middle" font-size="11">${v}×</text>`);
  }
  const H = y + 24;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">${esc(title)}</text>`,
    ...parts,
    `<line x1="${LABEL_W}" y1="${y - 7}" x2="${LABEL_W + PLOT_W}" y2="${y - 7}" stroke="#333"/>`,
    ...ticks,
    '</svg>',
    '',
  ].join('\n');
}
