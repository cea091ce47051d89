// Price alerts, evaluated on every trade:
//  (a) move_vs_prev_close: last price vs the previous close — the last trade, by (time, seq), of the
//      previous UTC day that had trades; before such a day exists, the first price seen for the symbol;
//  (b) move_in_window: the price vs the min (rise) and max (drop) of the rolling event-time window;
//  (c) user rules (AlertRule): price_above, price_below, pct_move (vs the same reference as (a)).
// Hysteresis: a condition fires when it becomes true and stays silent until the value has gone back past
// the threshold by a margin (hysteresisPct of the threshold), which re-arms it. Up and down moves are
// separate conditions. Ids are built from (symbol, kind, direction or user/rule, time, seq), so a replay
// of the same trades produces the same ids.
import type { Alert, AlertKind, AlertRule, EventTimeMs } from '../domain/types.ts';
import { type ByteReader, type ByteWriter, corrupt } from './bytes.ts';
import { MonotonicDeque } from './monotonic-deque.ts';

const DAY_MS = 86_400_000;

export interface PriceAlertParams {
  movePct: number;
  moveWindowMs: number;
  hysteresisPct: number;
}

interface RuleState {
  rule: AlertRule;
  armed: boolean;
}

export interface SetRulesResult {
  applied: number;
  /** Ids of rules that were ignored: unknown symbol or a threshold that is not a positive finite number. */
  rejected: string[];
}

// armed flags per symbol, 4 per symbol
const MOVE_UP = 0;
const MOVE_DOWN = 1;
const WIN_UP = 2;
const WIN_DOWN = 3;

export class PriceAlerts {
  readonly symbols: readonly string[];
  private readonly movePct: number;
  private readonly windowMs: number;
  /** Fraction of a threshold by which the value must come back to re-arm. */
  private readonly h: number;
  // per symbol
  private readonly first: Float64Array; // first price seen, NaN before
  private readonly day: Float64Array; // UTC day of the newest trade, −∞ before
  private readonly dayClose: Float64Array;
  private readonly dayCloseT: Float64Array;
  private readonly dayCloseSeq: Float64Array;
  private readonly prevDay: Float64Array;
  private readonly prevClose: Float64Array; // NaN until a day has passed
  private readonly prevCloseT: Float64Array;
  private readonly prevCloseSeq: Float64Array;
  private readonly lastT: Float64Array; // newest event time seen (window clock)
  private readonly armed: Uint8Array;
  private readonly maxQ: MonotonicDeque[];
  private readonly minQ: MonotonicDeque[];
  private rules = new Map<number, RuleState[]>();

  constructor(symbols: readonly string[], p: PriceAlertParams) {
    this.symbols = symbols;
    this.movePct = p.movePct;
    this.windowMs = p.moveWindowMs;
    this.h = p.hysteresisPct / 100;
    const n = symbols.length;
    this.first = new Float64Array(n).fill(Number.NaN);
    this.day = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
    this.dayClose = new Float64Array(n);
    this.dayCloseT = new Float64Array(n);
    this.dayCloseSeq = new Float64Array(n);
    this.prevDay = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
    this.prevClose = new Float64Array(n).fill(Number.NaN);
    this.prevCloseT = new Float64Array(n);
    this.prevCloseSeq = new Float64Array(n);
    this.lastT = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
    this.armed = new Uint8Array(n * 4).fill(1);
    this.maxQ = [];
    this.minQ = [];
    for (let i = 0; i < n; i++) {
      this.maxQ.push(new MonotonicDeque(true));
      this.minQ.push(new MonotonicDeque(false));
    }
  }

  /** The reference price of (a) for symbol s, NaN before its first trade. */
  reference(s: number): number {
    const pc = this.prevClose[s]!;
    return !Number.isNaN(pc) ? pc : this.first[s]!;
  }

  /**
   * Replaces the rule set. A rule whose id, symbol, kind and threshold are unchanged keeps its armed
   * state; a new or changed rule starts armed (so one already satisfied fires on the next trade).
   */
  setRules(rules: readonly AlertRule[], indexOf: (symbol: string) => number): SetRulesResult {
    const old = new Map<string, RuleState>();
    for (const list of this.rules.values()) for (const r of list) old.set(r.rule.id, r);
    const next = new Map<number, RuleState[]>();
    const rejected: string[] = [];
    let applied = 0;
    for (const rule of rules) {
      const s = indexOf(rule.symbol);
      if (s < 0 || !Number.isFinite(rule.threshold) || rule.threshold <= 0) {
        rejected.push(rule.id);
        continue;
      }
      const prev = old.get(rule.id);
      const same =
        prev !== undefined &&
        prev.rule.symbol === rule.symbol &&
        prev.rule.kind === rule.kind &&
        prev.rule.threshold === rule.threshold &&
        prev.rule.user === rule.user;
      const state: RuleState = { rule: { ...rule }, armed: same ? prev.armed : true };
      const list = next.get(s);
      if (list === undefined) next.set(s, [state]);
      else list.push(state);
      applied++;
    }
    this.rules = next;
    return { applied, rejected };
  }

  onTrade(s: number, price: number, time: number, seq: number, out: Alert[]): void {
    // --- reference for (a) and pct rules: previous day's close ---
    if (Number.isNaN(this.first[s])) this.first[s] = price;
    const day = Math.floor(time / DAY_MS);
    const curDay = this.day[s]!;
    let current = true; // false for a late trade of an earlier day: no move vs "previous close" for it
    if (day > curDay) {
      if (curDay !== Number.NEGATIVE_INFINITY) {
        this.prevDay[s] = curDay;
        this.prevClose[s] = this.dayClose[s]!;
        this.prevCloseT[s] = this.dayCloseT[s]!;
        this.prevCloseSeq[s] = this.dayCloseSeq[s]!;
      }
      this.day[s] = day;
      this.dayClose[s] = price;
      this.dayCloseT[s] = time;
      this.dayCloseSeq[s] = seq;
    } else if (day === curDay) {
      const ct = this.dayCloseT[s]!;
      if (time > ct || (time === ct && seq > this.dayCloseSeq[s]!)) {
        this.dayClose[s] = price;
        this.dayCloseT[s] = time;
        this.dayCloseSeq[s] = seq;
      }
    } else {
      current = false;
      if (day === this.prevDay[s]) {
        const ct = this.prevCloseT[s]!;
        if (time > ct || (time === ct && seq > this.prevCloseSeq[s]!)) {
          this.prevClose[s] = price;
          this.prevCloseT[s] = time;
          this.prevCloseSeq[s] = seq;
        }
      }
    }
    const ref = this.reference(s);
    const pct = ((price - ref) / ref) * 100;
    const X = this.movePct;
    const a = s * 4;
    if (current) {
      if (this.cross(a + MOVE_UP, pct, X))
        this.fire(out, s, 'move_vs_prev_close', 'up', time, seq, pct, X, ref);
      if (this.cross(a + MOVE_DOWN, -pct, X)) {
        this.fire(out, s, 'move_vs_prev_close', 'down', time, seq, pct, -X, ref);
      }
    }

    // --- (b) move within the rolling window; a late trade is placed at the newest time seen ---
    let t = this.lastT[s]!;
    if (time > t) {
      t = time;
      this.lastT[s] = t;
    }
    const maxQ = this.maxQ[s]!;
    const minQ = this.minQ[s]!;
    maxQ.push(t, price);
    minQ.push(t, price);
    const from = t - this.windowMs;
    maxQ.evictBefore(from);
    minQ.evictBefore(from);
    const lo = minQ.front;
    const hi = maxQ.front;
    const rise = ((price - lo) / lo) * 100;
    const drop = ((hi - price) / hi) * 100;
    if (this.cross(a + WIN_UP, rise, X)) this.fire(out, s, 'move_in_window', 'up', time, seq, rise, X, lo);
    if (this.cross(a + WIN_DOWN, drop, X))
      this.fire(out, s, 'move_in_window', 'down', time, seq, -drop, -X, hi);

    // --- (c) user rules ---
    if (this.rules.size === 0) return;
    const list = this.rules.get(s);
    if (list === undefined) return;
    for (const st of list) this.evalRule(st, s, price, pct, current, time, seq, out);
  }

  /**
   * Hysteresis on armed flag `i` for "value ≥ threshold": returns true when it fires. Re-arms once the
   * value is below threshold − margin.
   */
  private cross(i: number, value: number, threshold: number): boolean {
    if (this.armed[i] === 1) {
      if (value >= threshold) {
        this.armed[i] = 0;
        return true;
      }
    } else if (value < threshold - threshold * this.h) {
      this.armed[i] = 1;
    }
    return false;
  }

  private evalRule(
    st: RuleState,
    s: number,
    price: number,
    pct: number,
    current: boolean,
    time: number,
    seq: number,
    out: Alert[],
  ): void {
    const { rule } = st;
    const th = rule.threshold;
    const margin = th * this.h;
    let value: number;
    let over: boolean;
    let back: boolean;
    if (rule.kind === 'price_above') {
      value = price;
      over = price >= th;
      back = price < th - margin;
    } else if (rule.kind === 'price_below') {
      value = price;
      over = price <= th;
      back = price > th + margin;
    } else {
      if (!current) return;
      value = pct;
      const m = Math.abs(pct);
      over = m >= th;
      back = m < th - margin;
    }
    if (st.armed) {
      if (!over) return;
      st.armed = false;
      const symbol = this.symbols[s]!;
      out.push({
        symbol,
        time: time as EventTimeMs,
        kind: rule.kind,
        value,
        threshold: th,
        user: rule.user,
        id: `${symbol}|${rule.kind}|u${rule.user}/${rule.id}|${time}|${seq}`,
        message:
          rule.kind === 'pct_move'
            ? `${symbol} moved ${fmtPct(value)} vs previous close (rule ${rule.id}: ±${th}%)`
            : `${symbol} at ${price} is ${rule.kind === 'price_above' ? 'at or above' : 'at or below'} ${th} (rule ${rule.id})`,
      });
    } else if (back) {
      st.armed = true;
    }
  }

  private fire(
    out: Alert[],
    s: number,
    kind: AlertKind,
    dir: 'up' | 'down',
    time: number,
    seq: number,
    value: number,
    threshold: number,
    ref: number,
  ): void {
    const symbol = this.symbols[s]!;
    const what =
      kind === 'move_vs_prev_close'
        ? `vs previous close ${ref}`
        : `vs the window ${dir === 'up' ? 'low' : 'high'} ${ref} in the last ${this.windowMs / 1000} s`;
    out.push({
      symbol,
      time: time as EventTimeMs,
      kind,
      value,
      threshold,
      id: `${symbol}|${kind}|${dir}|${time}|${seq}`,
      message: `${symbol} ${dir} ${fmtPct(value)} ${what} (threshold ${threshold}%)`,
    });
  }

  write(w: ByteWriter): void {
    for (const a of this.symbolArrays()) w.f64s(a);
    w.u8s(this.armed);
    const qs = this.maxQ.map((q) => q.toArray()).concat(this.minQ.map((q) => q.toArray()));
    const lens = new Float64Array(qs.map((q) => q.length));
    w.f64s(lens);
    const all = new Float64Array(lens.reduce((a, b) => a + b, 0));
    let p = 0;
    for (const q of qs) {
      all.set(q, p);
      p += q.length;
    }
    w.f64s(all);
    w.json([...this.rules.entries()]);
  }

  read(r: ByteReader): void {
    const n = this.symbols.length;
    for (const a of this.symbolArrays()) a.set(r.f64s(n));
    this.armed.set(r.u8s(n * 4));
    const lens = r.f64s(2 * n);
    const all = r.f64s();
    let p = 0;
    const qs = this.maxQ.concat(this.minQ);
    qs.forEach((q, i) => {
      const len = lens[i]!;
      if (p + len > all.length) throw corrupt('window deque lengths exceed their data');
      q.load(all.subarray(p, p + len));
      p += len;
    });
    const rules = r.json();
    if (!Array.isArray(rules)) throw corrupt('rules section is not an array');
    this.rules = new Map(rules as [number, RuleState[]][]);
  }

  private symbolArrays(): Float64Array[] {
    return [
      this.first,
      this.day,
      this.dayClose,
      this.dayCloseT,
      this.dayCloseSeq,
      this.prevDay,
      this.prevClose,
      this.prevCloseT,
      this.prevCloseSeq,
      this.lastT,
    ];
  }
}

const fmtPct = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(2)}%`;
