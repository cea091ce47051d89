// Candles per (symbol, interval) in event time, with indicators over the closes of final bars.
//
// Bucket start = floor(time / interval) × interval. Open is the trade with the smallest (time, seq) and
// close the largest, not the first and last to arrive, so candles do not depend on arrival order within
// the allowed lateness (volume and VWAP are float sums: equal up to rounding). A bucket is final once the
// watermark reaches its end; until then late trades may still change it, so a series can have several
// open buckets. They live in typed arrays, `lanes` per series, lane = bucket number mod lanes; a bucket
// that finds its lane taken by an open older one pushes that one into a spill map (correct, slower).
// Series index ("slot") = symbolIndex × nIntervals + intervalIndex; lane index = slot × lanes + lane.
import type { Candle, DurationMs, EventTimeMs, IndicatorValues, Price, Quantity } from '../domain/types.ts';
import { type ByteReader, type ByteWriter, corrupt } from './bytes.ts';
import { type IndicatorParams, IndicatorSet } from './indicators/indicator-set.ts';

export interface CandleBookParams {
  intervalsMs: readonly number[];
  openBucketsPerSeries: number;
  indicators: IndicatorParams;
}

/** An open bucket that did not fit in its series' lanes. */
interface SpillBar {
  start: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  pv: number;
  count: number;
  openT: number;
  openSeq: number;
  closeT: number;
  closeSeq: number;
}

export type FinalBarListener = (symbolIndex: number, intervalIndex: number, candle: Candle) => void;

export class CandleBook {
  readonly symbols: readonly string[];
  readonly intervalsMs: readonly number[];
  readonly nIntervals: number;
  readonly lanes: number;
  /** Called for every final candle, in finalisation order (after its indicators were updated). */
  onFinal: FinalBarListener | undefined;

  private readonly iv: Float64Array;
  // per lane
  private readonly start: Float64Array; // NaN = empty lane
  private readonly open: Float64Array;
  private readonly high: Float64Array;
  private readonly low: Float64Array;
  private readonly close: Float64Array;
  private readonly volume: Float64Array;
  private readonly pv: Float64Array;
  private readonly count: Float64Array;
  private readonly openT: Float64Array;
  private readonly openSeq: Float64Array;
  private readonly closeT: Float64Array;
  private readonly closeSeq: Float64Array;
  // per slot
  /** Start of the newest bucket the series has seen (the forming bar); −∞ before any trade. */
  private readonly newest: Float64Array;
  private readonly dirty: Uint8Array;
  private readonly dirtyList: Int32Array;
  private dirtyCount = 0;
  private readonly sets: IndicatorSet[];
  /** Indicator state length of one series (snapshot layout). */
  private readonly setLength: number;
  /** Closes fed to valuesAfter for a forming bar: older open buckets, then the bar itself. */
  private extras = new Float64Array(16);
  private spill = new Map<number, SpillBar[]>();
  /** Per interval: the smallest end among its open buckets (a lower bound), so idle intervals are skipped. */
  private readonly nextDue: Float64Array;
  private wm = Number.NEGATIVE_INFINITY;
  /** Trades before this time fall into a final bucket of at least one interval. */
  private acceptFrom = Number.NEGATIVE_INFINITY;
  // scratch for ordering a slot's buckets
  private readonly order: number[] = [];

  constructor(symbols: readonly string[], p: CandleBookParams) {
    this.symbols = symbols;
    this.intervalsMs = [...p.intervalsMs];
    this.nIntervals = p.intervalsMs.length;
    this.lanes = p.openBucketsPerSeries;
    this.iv = Float64Array.from(p.intervalsMs);
    const slots = symbols.length * this.nIntervals;
    const n = slots * this.lanes;
    this.start = new Float64Array(n).fill(Number.NaN);
    this.open = new Float64Array(n);
    this.high = new Float64Array(n);
    this.low = new Float64Array(n);
    this.close = new Float64Array(n);
    this.volume = new Float64Array(n);
    this.pv = new Float64Array(n);
    this.count = new Float64Array(n);
    this.openT = new Float64Array(n);
    this.openSeq = new Float64Array(n);
    this.closeT = new Float64Array(n);
    this.closeSeq = new Float64Array(n);
    this.newest = new Float64Array(slots).fill(Number.NEGATIVE_INFINITY);
    this.dirty = new Uint8Array(slots);
    this.dirtyList = new Int32Array(slots);
    this.sets = [];
    for (let i = 0; i < slots; i++) this.sets.push(new IndicatorSet(p.indicators));
    this.setLength = new IndicatorSet(p.indicators).stateLength;
    this.onFinal = undefined;
    this.nextDue = new Float64Array(this.nIntervals).fill(Number.POSITIVE_INFINITY);
  }

  get watermark(): number {
    return this.wm;
  }

  /** Whether a trade at `time` would fall into a bucket that is already final (and so be refused). */
  isFinal(time: number): boolean {
    return time < this.acceptFrom;
  }

  /**
   * Applies one trade of symbol `s` to every interval. Returns false, changing nothing, if it falls in
   * an already final bucket (the caller should have sent it to deadletter as late).
   */
  add(s: number, price: number, size: number, time: number, seq: number): boolean {
    if (time < this.acceptFrom) return false;
    const nInt = this.nIntervals;
    const L = this.lanes;
    const base = s * nInt;
    for (let k = 0; k < nInt; k++) {
      const iv = this.iv[k]!;
      const b = Math.floor(time / iv);
      const st = b * iv;
      const slot = base + k;
      // b − ⌊b / L⌋ × L rather than b % L: on doubles `%` is an fmod call, and this is the hot path.
      const li = slot * L + (b - Math.floor(b / L) * L);
      const cur = this.start[li]!;
      if (cur === st) {
        this.update(li, price, size, time, seq);
      } else {
        if (!Number.isNaN(cur)) {
          // lane taken by another open bucket
          if (cur > st) {
            this.addToSpill(slot, k, st, price, size, time, seq);
            continue; // an older bucket: never the forming bar
          }
          this.spillLane(slot, li);
        }
        this.init(li, st, price, size, time, seq);
        const due = st + iv;
        if (due < this.nextDue[k]!) this.nextDue[k] = due;
      }
      const nw = this.newest[slot]!;
      if (st >= nw) {
        if (st > nw) this.newest[slot] = st;
        if (this.dirty[slot] === 0) {
          this.dirty[slot] = 1;
          this.dirtyList[this.dirtyCount++] = slot;
        }
      }
    }
    return true;
  }

  private init(li: number, st: number, price: number, size: number, time: number, seq: number): void {
    this.start[li] = st;
    this.open[li] = price;
    this.high[li] = price;
    this.low[li] = price;
    this.close[li] = price;
    this.volume[li] = size;
    this.pv[li] = price * size;
    this.count[li] = 1;
    this.openT[li] = time;
    this.openSeq[li] = seq;
    this.closeT[li] = time;
    this.closeSeq[li] = seq;
  }

  private update(li: number, price: number, size: number, time: number, seq: number): void {
    if (price > this.high[li]!) this.high[li] = price;
    if (price < this.low[li]!) this.low[li] = price;
    this.volume[li] = this.volume[li]! + size;
    this.pv[li] = this.pv[li]! + price * size;
    this.count[li] = this.count[li]! + 1;
    const ot = this.openT[li]!;
    if (time < ot || (time === ot && seq < this.openSeq[li]!)) {
      this.open[li] = price;
      this.openT[li] = time;
      this.openSeq[li] = seq;
    }
    const ct = this.closeT[li]!;
    if (time > ct || (time === ct && seq > this.closeSeq[li]!)) {
      this.close[li] = price;
      this.closeT[li] = time;
      this.closeSeq[li] = seq;
    }
  }

  private spillLane(slot: number, li: number): void {
    const bar: SpillBar = {
      start: this.start[li]!,
      open: this.open[li]!,
      high: this.high[li]!,
      low: this.low[li]!,
      close: this.close[li]!,
      volume: this.volume[li]!,
      pv: this.pv[li]!,
      count: this.count[li]!,
      openT: this.openT[li]!,
      openSeq: this.openSeq[li]!,
      closeT: this.closeT[li]!,
      closeSeq: this.closeSeq[li]!,
    };
    const list = this.spill.get(slot);
    if (list === undefined) this.spill.set(slot, [bar]);
    else list.push(bar);
    this.start[li] = Number.NaN;
  }

  private addToSpill(
    slot: number,
    k: number,
    st: number,
    price: number,
    size: number,
    time: number,
    seq: number,
  ): void {
    let list = this.spill.get(slot);
    if (list === undefined) {
      list = [];
      this.spill.set(slot, list);
    }
    const bar = list.find((x) => x.start === st);
    if (bar === undefined) {
      list.push({
        start: st,
        open: price,
        high: price,
        low: price,
        close: price,
        volume: size,
        pv: price * size,
        count: 1,
        openT: time,
        openSeq: seq,
        closeT: time,
        closeSeq: seq,
      });
      const due = st + this.iv[k]!;
      if (due < this.nextDue[k]!) this.nextDue[k] = due;
      return;
    }
    if (price > bar.high) bar.high = price;
    if (price < bar.low) bar.low = price;
    bar.volume += size;
    bar.pv += price * size;
    bar.count += 1;
    if (time < bar.openT || (time === bar.openT && seq < bar.openSeq)) {
      bar.open = price;
      bar.openT = time;
      bar.openSeq = seq;
    }
    if (time > bar.closeT || (time === bar.closeT && seq > bar.closeSeq)) {
      bar.close = price;
      bar.closeT = time;
      bar.closeSeq = seq;
    }
  }

  /**
   * Moves the watermark (never backwards) and finalises, per series in bucket order, every bucket whose
   * end is ≤ wm, pushing the final candles to `out`. +∞ closes everything (end of input).
   */
  advanceWatermark(wm: number, out: Candle[]): void {
    if (!(wm > this.wm)) return;
    this.wm = wm;
    let from = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < this.nIntervals; k++) {
      const iv = this.iv[k]!;
      const a = wm === Number.POSITIVE_INFINITY ? wm : Math.floor(wm / iv) * iv;
      if (a > from) from = a;
    }
    this.acceptFrom = from;
    const nSym = this.symbols.length;
    for (let k = 0; k < this.nIntervals; k++) {
      if (this.nextDue[k]! > wm) continue;
      let due = Number.POSITIVE_INFINITY;
      for (let s = 0; s < nSym; s++) {
        const d = this.finaliseSlot(s, k, wm, out);
        if (d < due) due = d;
      }
      this.nextDue[k] = due;
    }
  }

  /** Finalises the slot's due buckets in start order; returns the smallest end among those still open. */
  private finaliseSlot(s: number, k: number, wm: number, out: Candle[]): number {
    const slot = s * this.nIntervals + k;
    const iv = this.iv[k]!;
    const L = this.lanes;
    const first = slot * L;
    const spilled = this.spill.get(slot);
    let minOpen = Number.POSITIVE_INFINITY;
    let nDue = 0;
    for (let li = first; li < first + L; li++) {
      const st = this.start[li]!;
      if (Number.isNaN(st)) continue;
      if (st + iv <= wm) nDue++;
      else if (st < minOpen) minOpen = st;
    }
    if (spilled !== undefined) {
      for (const bar of spilled) if (bar.start + iv > wm && bar.start < minOpen) minOpen = bar.start;
    }
    if (nDue === 0 && spilled === undefined) return minOpen + iv;
    const set = this.sets[slot]!;
    if (spilled === undefined) {
      // Common case: lanes only. Take the due lanes oldest first (nDue is tiny: selection is fine).
      for (let left = nDue; left > 0; left--) {
        let best = -1;
        for (let li = first; li < first + L; li++) {
          const st = this.start[li]!;
          if (!Number.isNaN(st) && st + iv <= wm && (best < 0 || st < this.start[best]!)) best = li;
        }
        set.add(this.close[best]!);
        const c = this.laneCandle(s, k, best, true, set.values());
        this.start[best] = Number.NaN;
        out.push(c);
        this.onFinal?.(s, k, c);
      }
      return minOpen + iv;
    }
    // With spilled buckets (rare): merge lanes and spills by start.
    const order = this.order;
    order.length = 0;
    for (let li = first; li < first + L; li++) {
      const st = this.start[li]!;
      if (!Number.isNaN(st) && st + iv <= wm) order.push(li);
    }
    for (let i = 0; i < spilled.length; i++) if (spilled[i]!.start + iv <= wm) order.push(-1 - i);
    const startOf = (x: number): number => (x >= 0 ? this.start[x]! : spilled[-1 - x]!.start);
    order.sort((a, b) => startOf(a) - startOf(b));
    for (const x of order) {
      let c: Candle;
      if (x >= 0) {
        set.add(this.close[x]!);
        c = this.laneCandle(s, k, x, true, set.values());
        this.start[x] = Number.NaN;
      } else {
        const bar = spilled[-1 - x]!;
        set.add(bar.close);
        c = spillCandle(this.symbols[s]!, iv, bar, set.values());
      }
      out.push(c);
      this.onFinal?.(s, k, c);
    }
    const left = spilled.filter((b) => b.start + iv > wm);
    if (left.length === 0) this.spill.delete(slot);
    else this.spill.set(slot, left);
    return minOpen + iv;
  }

  private laneCandle(s: number, k: number, li: number, final: boolean, indicators: IndicatorValues): Candle {
    const volume = this.volume[li]!;
    return {
      symbol: this.symbols[s]!,
      intervalMs: this.iv[k]! as DurationMs,
      start: this.start[li]! as EventTimeMs,
      open: this.open[li]! as Price,
      high: this.high[li]! as Price,
      low: this.low[li]! as Price,
      close: this.close[li]! as Price,
      volume: volume as Quantity,
      vwap: (this.pv[li]! / volume) as Price,
      trades: this.count[li]!,
      final,
      indicators,
    };
  }

  /**
   * Pushes one provisional candle per series whose forming (newest) bar changed since the last call and
   * is still open. Its indicators are computed as if it closed now (replace semantics, no state change):
   * the final bars' state, plus the closes of any older buckets still open (in order), plus its close.
   */
  emitProvisional(out: Candle[]): void {
    const nInt = this.nIntervals;
    const L = this.lanes;
    for (let i = 0; i < this.dirtyCount; i++) {
      const slot = this.dirtyList[i]!;
      this.dirty[slot] = 0;
      const st = this.newest[slot]!;
      const k = slot % nInt; // int32 % int32: cheap
      const iv = this.iv[k]!;
      const b = Math.floor(st / iv);
      const li = slot * L + (b - Math.floor(b / L) * L);
      if (this.start[li] !== st) continue; // finalised since: its final candle is already out
      const n = this.olderOpenCloses(slot, st);
      this.extras[n] = this.close[li]!;
      const values = this.sets[slot]!.valuesAfter(this.extras, n + 1);
      out.push(this.laneCandle((slot - k) / nInt, k, li, false, values));
    }
    this.dirtyCount = 0;
  }

  /** Writes the closes of the slot's open buckets older than `before`, in start order, into `extras`. */
  private olderOpenCloses(slot: number, before: number): number {
    const L = this.lanes;
    let n = 0;
    const first = slot * L;
    const spilled = this.spill.get(slot);
    let last = Number.NEGATIVE_INFINITY;
    // Ascending walk without allocating: repeatedly take the smallest start in (last, before).
    for (;;) {
      let best = Number.POSITIVE_INFINITY;
      let bestClose = 0;
      for (let li = first; li < first + L; li++) {
        const st = this.start[li]!;
        if (st > last && st < before && st < best) {
          best = st;
          bestClose = this.close[li]!;
        }
      }
      if (spilled !== undefined) {
        for (const bar of spilled) {
          if (bar.start > last && bar.start < before && bar.start < best) {
            best = bar.start;
            bestClose = bar.close;
          }
        }
      }
      if (best === Number.POSITIVE_INFINITY) return n;
      if (n + 1 >= this.extras.length) {
        const bigger = new Float64Array(this.extras.length * 2);
        bigger.set(this.extras);
        this.extras = bigger;
      }
      this.extras[n++] = bestClose;
      last = best;
    }
  }

  write(w: ByteWriter): void {
    w.f64(this.wm);
    w.f64(this.acceptFrom);
    w.f64s(this.nextDue);
    for (const a of this.laneArrays()) w.f64s(a);
    w.f64s(this.newest);
    w.i32s(this.dirtyList.subarray(0, this.dirtyCount));
    const setLen = this.setLength;
    const states = new Float64Array(this.sets.length * setLen);
    this.sets.forEach((set, i) => {
      set.writeState(states, i * setLen);
    });
    w.f64s(states);
    w.json([...this.spill.entries()]);
  }

  read(r: ByteReader): void {
    this.wm = r.f64();
    this.acceptFrom = r.f64();
    this.nextDue.set(r.f64s(this.nIntervals));
    const n = this.start.length;
    for (const a of this.laneArrays()) a.set(r.f64s(n));
    this.newest.set(r.f64s(this.newest.length));
    const dirty = r.i32s();
    if (dirty.length > this.dirtyList.length) throw corrupt('dirty list longer than the series count');
    this.dirty.fill(0);
    dirty.forEach((slot) => {
      if (slot < 0 || slot >= this.dirty.length) throw corrupt(`dirty slot ${slot} out of range`);
      this.dirty[slot] = 1;
    });
    this.dirtyList.set(dirty);
    this.dirtyCount = dirty.length;
    const setLen = this.setLength;
    const states = r.f64s(this.sets.length * setLen);
    this.sets.forEach((set, i) => {
      set.readState(states, i * setLen);
    });
    const spill = r.json();
    if (!Array.isArray(spill)) throw corrupt('spill section is not an array');
    this.spill = new Map(spill as [number, SpillBar[]][]);
  }

  private laneArrays(): Float64Array[] {
    return [
      this.start,
      this.open,
      this.high,
      this.low,
      this.close,
      this.volume,
      this.pv,
      this.count,
      this.openT,
      this.openSeq,
      this.closeT,
      this.closeSeq,
    ];
  }
}

const spillCandle = (symbol: string, iv: number, b: SpillBar, indicators: IndicatorValues): Candle => ({
  symbol,
  intervalMs: iv as DurationMs,
  start: b.start as EventTimeMs,
  open: b.open as Price,
  high: b.high as Price,
  low: b.low as Price,
  close: b.close as Price,
  volume: b.volume as Quantity,
  vwap: (b.pv / b.volume) as Price,
  trades: b.count,
  final: true,
  indicators,
});
