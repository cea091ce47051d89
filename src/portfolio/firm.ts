// FirmAggregator: the broker's view of the whole book, per event-time bucket (default 1 minute): volume and
// notional by symbol and side, top traders by notional, sector mix; plus firm-wide net quantity per symbol,
// kept incrementally so firm exposure (Σ net × last price) costs O(symbols), never O(users).
//
// Memory is bounded: per open bucket, three Float64Arrays over symbols, one over sectors, and a compact
// user → notional map of that bucket's traders. Top-k is exact and maintained per fill: a user's bucket
// notional only grows, so a user that passes the smallest of the current top-k replaces it, and nobody
// outside the set can be above anybody inside.
//
// Partitions: each portfolio partition aggregates its own users. Rows of the same bucket from different
// partitions are partial and combine with mergeFirmStats (src/store/firm-merge.ts) (exact for top traders too, since a user lives in
// exactly one partition). sectorMix holds notional per sector (additive), not fractions.
import { TickstreamError } from '../domain/errors.ts';
import type { Universe } from '../domain/universe.ts';
import { dayOf, type FirmStatRow, type FirmStats } from '../store/port.ts';
import { BinReader, BinWriter, checkpointCorrupt } from './codec.ts';
import type { LastPrices } from './prices.ts';
import { UserSums } from './user-sums.ts';

export interface FirmOptions {
  /** Bucket width in ms of event time (default 60,000). */
  bucketMs?: number;
  /** Top traders kept per bucket (default 10). */
  topK?: number;
  /** How long after its end a bucket stays open for late fills (default one bucket). */
  allowedLatenessMs?: number;
}

const MAGIC = 0x46505354; // 'TSPF'

class Bucket {
  readonly start: number;
  readonly buy: Float64Array;
  readonly sell: Float64Array;
  readonly notional: Float64Array;
  readonly sector: Float64Array;
  fills = 0;
  users = new UserSums();
  readonly topUser: Int32Array;
  readonly topVal: Float64Array;
  topN = 0;
  dirty = false;

  constructor(start: number, symbols: number, sectors: number, k: number) {
    this.start = start;
    this.buy = new Float64Array(symbols);
    this.sell = new Float64Array(symbols);
    this.notional = new Float64Array(symbols);
    this.sector = new Float64Array(sectors);
    this.topUser = new Int32Array(k);
    this.topVal = new Float64Array(k);
  }

  /** Smallest value in a full top set; a user at or below it is not in the set (sums only grow) nor enters it. */
  topMin = Number.NEGATIVE_INFINITY;

  /** Exact incremental top-k (see file comment). */
  offer(user: number, sum: number): void {
    if (sum <= this.topMin) return;
    let min = 0;
    for (let i = 0; i < this.topN; i++) {
      if (this.topUser[i] === user) {
        this.topVal[i] = sum;
        return;
      }
      if (this.topVal[i]! < this.topVal[min]!) min = i;
    }
    if (this.topN < this.topUser.length) {
      this.topUser[this.topN] = user;
      this.topVal[this.topN++] = sum;
    } else if (sum > this.topVal[min]!) {
      this.topUser[min] = user;
      this.topVal[min] = sum;
    } else {
      return;
    }
    if (this.topN === this.topUser.length) {
      let m = this.topVal[0]!;
      for (let i = 1; i < this.topN; i++) if (this.topVal[i]! < m) m = this.topVal[i]!;
      this.topMin = m;
    }
  }
}

export class FirmAggregator {
  readonly bucketMs: number;
  readonly topK: number;
  readonly allowedLatenessMs: number;
  private readonly symbols: readonly string[];
  private readonly sectorNames: readonly string[];
  private readonly sectorOf: Int32Array;
  private readonly net: Float64Array;
  private readonly buckets = new Map<number, Bucket>();
  private current: Bucket | undefined;
  private maxTime = Number.NEGATIVE_INFINITY;
  /** Buckets ending at or before this were emitted and dropped; their fills are late. */
  private retiredBefore = Number.NEGATIVE_INFINITY;
  /** Fills that arrived after their bucket was retired (positions still applied; not in firm stats). */
  lateFills = 0;

  constructor(universe: Universe, options: FirmOptions = {}) {
    this.bucketMs = options.bucketMs ?? 60_000;
    this.topK = options.topK ?? 10;
    this.allowedLatenessMs = options.allowedLatenessMs ?? this.bucketMs;
    if (!(Number.isSafeInteger(this.bucketMs) && this.bucketMs > 0)) {
      throw new TickstreamError('CONFIG_INVALID', 'firm bucketMs must be a positive integer');
    }
    if (!(Number.isSafeInteger(this.topK) && this.topK > 0 && this.topK <= 10_000)) {
      throw new TickstreamError('CONFIG_INVALID', 'firm topK must be an integer in 1..10000');
    }
    if (!(this.allowedLatenessMs >= 0 && Number.isFinite(this.allowedLatenessMs))) {
      throw new TickstreamError('CONFIG_INVALID', 'firm allowedLatenessMs must be finite and >= 0');
    }
    this.symbols = universe.symbols;
    this.sectorNames = universe.sectors();
    const sectorIndex = new Map(this.sectorNames.map((s, i) => [s, i]));
    this.sectorOf = Int32Array.from(universe.infos, (i) => sectorIndex.get(i.sector) ?? 0);
    this.net = new Float64Array(universe.size);
  }

  /**
   * Counts a fill (already validated by the caller: known symbol, quantity and price finite and > 0).
   * signedQty: buy > 0, sell < 0. Returns false when the fill's bucket was already retired (counted in lateFills).
   */
  onFill(user: number, sym: number, signedQty: number, price: number, time: number): boolean {
    this.net[sym] = this.net[sym]! + signedQty;
    if (time < this.retiredBefore) {
      this.lateFills++;
      return false;
    }
    if (time > this.maxTime) this.maxTime = time;
    const start = Math.floor(time / this.bucketMs) * this.bucketMs;
    let b = this.current;
    if (b === undefined || b.start !== start) {
      b = this.buckets.get(start);
      if (b === undefined) {
        b = new Bucket(start, this.symbols.length, this.sectorNames.length, this.topK);
        // Size the trader map like the previous bucket's, so a busy minute does not regrow it from scratch.
        if (this.current !== undefined) b.users = new UserSums(this.current.users.size * 2);
        this.buckets.set(start, b);
      }
      this.current = b;
    }
    const qty = Math.abs(signedQty);
    const notional = qty * price;
    if (signedQty > 0) b.buy[sym] = b.buy[sym]! + qty;
    else b.sell[sym] = b.sell[sym]! + qty;
    b.notional[sym] = b.notional[sym]! + notional;
    const k = this.sectorOf[sym]!;
    b.sector[k] = b.sector[k]! + notional;
    b.fills++;
    b.offer(user, b.users.add(user, notional));
    b.dirty = true;
    return true;
  }

  /** Firm-wide net quantity of a symbol (Σ over this partition's users). */
  netQuantity(sym: number): number {
    return this.net[sym] ?? 0;
  }

  /** Firm exposure Σ net × last price over symbols with a price. */
  exposure(prices: LastPrices): number {
    let e = 0;
    for (let s = 0; s < this.net.length; s++) {
      const q = this.net[s]!;
      const p = prices.price(s);
      if (q !== 0 && !Number.isNaN(p)) e += q * p;
    }
    return e;
  }

  get openBuckets(): number {
    return this.buckets.size;
  }

  /** Rows of buckets changed since the last drain (ascending by bucket), then retires buckets past lateness. */
  drain(): FirmStatRow[] {
    const rows: FirmStatRow[] = [];
    const starts = [...this.buckets.keys()].sort((a, b) => a - b);
    for (const start of starts) {
      const b = this.buckets.get(start)!;
      if (b.dirty) {
        b.dirty = false;
        rows.push({ day: dayOf(start), bucket: start, stats: this.stats(b) });
      }
      if (start + this.bucketMs + this.allowedLatenessMs <= this.maxTime) {
        this.buckets.delete(start);
        if (this.current === b) this.current = undefined;
        if (start + this.bucketMs > this.retiredBefore) this.retiredBefore = start + this.bucketMs;
      }
    }
    return rows;
  }

  private stats(b: Bucket): FirmStats {
    const volumeBySymbol: FirmStats['volumeBySymbol'] = {};
    for (let s = 0; s < this.symbols.length; s++) {
      if (b.notional[s] === 0) continue;
      volumeBySymbol[this.symbols[s]!] = { buy: b.buy[s]!, sell: b.sell[s]!, notional: b.notional[s]! };
    }
    const topTraders: FirmStats['topTraders'] = [];
    for (let i = 0; i < b.topN; i++) topTraders.push({ user: b.topUser[i]!, notional: b.topVal[i]! });
    topTraders.sort((x, y) => y.notional - x.notional || x.user - y.user);
    const sectorMix: Record<string, number> = {};
    for (let k = 0; k < this.sectorNames.length; k++) {
      if (b.sector[k]! > 0) sectorMix[this.sectorNames[k]!] = b.sector[k]!;
    }
    return { volumeBySymbol, topTraders, sectorMix, fills: b.fills };
  }

  snapshot(): Uint8Array {
    const w = new BinWriter(4096)
      .u32(MAGIC)
      .u32(this.symbols.length)
      .u32(this.sectorNames.length)
      .u32(this.topK)
      .f64(this.bucketMs)
      .f64s(this.net)
      .f64(this.maxTime)
      .f64(this.retiredBefore)
      .f64(this.lateFills)
      .u32(this.buckets.size);
    for (const b of this.buckets.values()) {
      const users = new Float64Array(b.users.size * 2);
      let i = 0;
      b.users.forEach((u, v) => {
        users[i++] = u;
        users[i++] = v;
      });
      const top = new Float64Array(b.topN * 2);
      for (let j = 0; j < b.topN; j++) {
        top[2 * j] = b.topUser[j]!;
        top[2 * j + 1] = b.topVal[j]!;
      }
      w.f64(b.start)
        .f64(b.fills)
        .u32(b.dirty ? 1 : 0)
        .f64s(b.buy)
        .f64s(b.sell)
        .f64s(b.notional)
        .f64s(b.sector);
      w.u32(b.users.size).f64s(users).u32(b.topN).f64s(top);
    }
    return w.finish();
  }

  static restore(bytes: Uint8Array, universe: Universe, options: FirmOptions = {}): FirmAggregator {
    const f = new FirmAggregator(universe, options);
    const r = new BinReader(bytes);
    if (r.u32('magic') !== MAGIC) throw checkpointCorrupt('not a firm aggregate');
    const nsym = r.u32('symbols');
    const nsec = r.u32('sectors');
    const k = r.u32('topK');
    const bucketMs = r.f64('bucketMs');
    if (
      nsym !== f.symbols.length ||
      nsec !== f.sectorNames.length ||
      k !== f.topK ||
      bucketMs !== f.bucketMs
    ) {
      throw checkpointCorrupt('firm aggregate was taken with another universe or configuration');
    }
    f.net.set(r.f64s(nsym, 'net'));
    f.maxTime = r.f64('maxTime');
    f.retiredBefore = r.f64('retiredBefore');
    f.lateFills = r.f64('lateFills');
    const nb = r.u32('buckets');
    for (let i = 0; i < nb; i++) {
      const b = new Bucket(r.f64('start'), nsym, nsec, k);
      b.fills = r.f64('fills');
      b.dirty = r.u32('dirty') === 1;
      b.buy.set(r.f64s(nsym, 'buy'));
      b.sell.set(r.f64s(nsym, 'sell'));
      b.notional.set(r.f64s(nsym, 'notional'));
      b.sector.set(r.f64s(nsec, 'sector'));
      const nu = r.u32('users');
      const users = r.f64s(nu * 2, 'user sums');
      b.users = new UserSums(nu * 2);
      for (let j = 0; j < nu; j++) {
        const u = users[2 * j]!;
        if (!(Number.isInteger(u) && u >= 0 && u < 0x7fffffff)) throw checkpointCorrupt(`bad user ${u}`);
        b.users.add(u, users[2 * j + 1]!);
      }
      const nt = r.u32('top');
      if (nt > k) throw checkpointCorrupt('top list longer than topK');
      const top = r.f64s(nt * 2, 'top');
      for (let j = 0; j < nt; j++) b.offer(top[2 * j]!, top[2 * j + 1]!);
      if (!Number.isSafeInteger(b.start) || f.buckets.has(b.start))
        throw checkpointCorrupt('bad bucket start');
      f.buckets.set(b.start, b);
    }
    r.end();
    return f;
  }
}
