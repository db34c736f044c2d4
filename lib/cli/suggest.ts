/** "Did you mean": the closest of some names to what was typed, by edit distance (a swap of two letters counts once). */

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps each cost 1. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The name closest to `typed`, when it is close enough to be a slip: within a third of its length (at least 1,
 * at most 3) edits, or a prefix of exactly one name (`ser` for `serve`). Undefined otherwise.
 */
export function suggest(typed: string, names: readonly string[]): string | undefined {
  const t = typed.toLowerCase();
  if (t === '') return undefined;
  const prefixed = names.filter((n) => n.startsWith(t));
  if (prefixed.length === 1) return prefixed[0];
  const limit = Math.min(3, Math.max(1, Math.floor(t.length / 3)));
  let best: string | undefined;
  let bestD = Infinity;
  for (const n of names) {
    const dist = editDistance(t, n);
    if (dist < bestD) {
      best = n;
      bestD = dist;
    }
  }
  return bestD <= limit ? best : undefined;
}

/** " (did you mean X?)" or "". */
export function didYouMean(typed: string, names: readonly string[], prefix = ''): string {
  const s = suggest(typed, names);
  return s === undefined ? '' : ` (did you mean ${prefix}${s}?)`;
}
