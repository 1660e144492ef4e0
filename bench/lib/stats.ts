/** Percentiles and number formatting shared by the benches. */

export interface Stats {
  n: number;
  p50: number;
  p95: number;
  mean: number;
  min: number;
  max: number;
}

/** Linear-interpolated percentile (`p` in 0..1); NaN for no values. */
export function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const idx = (s.length - 1) * p;
  const lo = Math.floor(idx);
  const hi = Math.ceil(idx);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (idx - lo);
}

export function stats(values: number[]): Stats {
  return {
    n: values.length,
    p50: pct(values, 0.5),
    p95: pct(values, 0.95),
    mean: values.reduce((a, b) => a + b, 0) / (values.length || Number.NaN),
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

export const f0 = (n: number) => (Number.isFinite(n) ? Math.round(n).toString() : "–");
export const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "–");
export const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : "–");
export const pair = (s: Stats) => `${f1(s.p50)} / ${f1(s.p95)}`;
export const verdict = (ok: boolean) => (ok ? "PASS" : "MISS");
