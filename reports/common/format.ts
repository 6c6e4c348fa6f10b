// Number formatting shared by the terminal, markdown and HTML views. Every output fits in 7 columns.

export function formatUs(us: number | undefined | null): string {
  if (us === undefined || us === null || !Number.isFinite(us)) return '—';
  if (us < 1000) return `${us < 10 ? us.toFixed(1) : Math.round(us)}µs`;
  if (us < 1_000_000) {
    const ms = us / 1000;
    return `${ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : Math.round(ms)}ms`;
  }
  const s = us / 1_000_000;
  return `${s < 10 ? s.toFixed(2) : s.toFixed(1)}s`;
}

export function formatRate(rps: number | undefined | null): string {
  if (rps === undefined || rps === null || !Number.isFinite(rps)) return '—';
  if (rps < 100) return rps.toFixed(1);
  if (rps < 100_000) return String(Math.round(rps));
  return `${(rps / 1000).toFixed(0)}k`;
}

export function formatRatio(r: number | undefined | null): string {
  if (r === undefined || r === null || !Number.isFinite(r)) return '—';
  return `×${r < 10 ? r.toFixed(2) : r < 100 ? r.toFixed(1) : Math.round(r)}`;
}

export function formatBytes(b: number | undefined | null): string {
  if (b === undefined || b === null || !Number.isFinite(b)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = b;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export function formatCount(n: number | undefined | null, digits = 1): string {
  if (n === undefined || n === null || !Number.isFinite(n)) return '—';
  return Number.isInteger(n) ? String(n) : n.toFixed(digits);
}

export function formatPercent(fraction: number | undefined | null): string {
  if (fraction === undefined || fraction === null || !Number.isFinite(fraction)) return '—';
  return `${(fraction * 100).toFixed(fraction < 0.1 ? 1 : 0)}%`;
}

export function formatChange(change: number | undefined | null): string {
  if (change === undefined || change === null || !Number.isFinite(change)) return '—';
  const pct = change * 100;
  return `${pct >= 0 ? '+' : ''}${pct.toFixed(Math.abs(pct) < 10 ? 1 : 0)}%`;
}

export function formatSeconds(sec: number): string {
  const s = Math.max(0, Math.round(sec));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** cut to `width` characters, marking the cut with an ellipsis */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

export function padEnd(text: string, width: number): string {
  return truncate(text, width).padEnd(width);
}

export function padStart(text: string, width: number): string {
  return truncate(text, width).padStart(width);
}
