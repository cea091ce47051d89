// Firm statistics are computed per partition of users (each portfolio partition sees only its users'
// fills) and stored per shard; a bucket's firm-wide figures are the sum of its shards. Users live in
// exactly one shard, so the union of the shards' top-k lists holds the true top-k.
import type { FirmStatRow, FirmStats } from './port.ts';

/** Sums the figures of one bucket from several shards; top traders: the best `topK` (default: the longest list's length). */
export const mergeFirmStats = (parts: readonly FirmStats[], topK?: number): FirmStats => {
  const volumeBySymbol: FirmStats['volumeBySymbol'] = {};
  const sectorMix: Record<string, number> = {};
  const top: FirmStats['topTraders'] = [];
  let fills = 0;
  let k = 0;
  for (const p of parts) {
    for (const [sym, v] of Object.entries(p.volumeBySymbol)) {
      const acc = volumeBySymbol[sym];
      if (acc === undefined) volumeBySymbol[sym] = { ...v };
      else {
        acc.buy += v.buy;
        acc.sell += v.sell;
        acc.notional += v.notional;
      }
    }
    for (const [sector, n] of Object.entries(p.sectorMix)) sectorMix[sector] = (sectorMix[sector] ?? 0) + n;
    top.push(...p.topTraders);
    k = Math.max(k, p.topTraders.length);
    fills += p.fills;
  }
  top.sort((a, b) => b.notional - a.notional || a.user - b.user);
  return { volumeBySymbol, topTraders: top.slice(0, topK ?? k), sectorMix, fills };
};

/** Rows sorted by bucket (shards of a bucket adjacent) → one merged row per bucket, without `shard`. */
export const mergeFirmShards = (rows: readonly FirmStatRow[]): FirmStatRow[] => {
  const out: FirmStatRow[] = [];
  let i = 0;
  while (i < rows.length) {
    const first = rows[i] as FirmStatRow;
    let j = i + 1;
    while (j < rows.length && (rows[j] as FirmStatRow).bucket === first.bucket && rows[j]?.day === first.day)
      j++;
    const group = rows.slice(i, j);
    out.push({
      day: first.day,
      bucket: first.bucket,
      stats: group.length === 1 ? first.stats : mergeFirmStats(group.map((r) => r.stats)),
    });
    i = j;
  }
  return out;
};
