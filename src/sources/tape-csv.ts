// CSV trade tapes: a header naming the columns, then one trade per line.
//
// The minimal header is `time,symbol,size,price`. Column names are matched case-insensitively, in any
// order, with the names NYSE TAQ trade extracts use as aliases (DATE, TIME_M, SYM_ROOT, SYM_SUFFIX,
// SIZE, PRICE, TR_SCOND, TR_SEQNUM), so a TAQ extract replays without editing. Unknown columns are
// ignored. Fields may be double-quoted ("" inside quotes is a quote).
import { TickstreamError } from '../domain/errors.ts';
import type { EventTimeMs, Price, Quantity, Trade } from '../domain/types.ts';
import { accept, checkTrade, reject, type Verdict } from '../domain/validate.ts';
import type { TapeCalendar } from './tape-time.ts';

type Field = 'time' | 'date' | 'symbol' | 'suffix' | 'size' | 'price' | 'seq' | 'conditions';

const ALIASES: Readonly<Record<string, Field>> = {
  time: 'time',
  time_m: 'time',
  timestamp: 'time',
  date: 'date',
  symbol: 'symbol',
  sym_root: 'symbol',
  sym: 'symbol',
  ticker: 'symbol',
  sym_suffix: 'suffix',
  size: 'size',
  volume: 'size',
  quantity: 'size',
  price: 'price',
  seq: 'seq',
  tr_seqnum: 'seq',
  sequence: 'seq',
  conditions: 'conditions',
  tr_scond: 'conditions',
  sale_condition: 'conditions',
};

const REQUIRED: readonly Field[] = ['time', 'symbol', 'size', 'price'];
/** More fields than this on a line is not a trade tape (and bounds the work per line). */
const MAX_FIELDS = 64;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,3})?$/;

export type Columns = Readonly<Record<Field, number>> & { readonly taqConditions: boolean };

/** Splits one CSV line into `out` (cleared first); returns false when there are too many fields or a quote is unclosed. */
export const splitCsv = (line: string, out: string[]): boolean => {
  out.length = 0;
  if (!line.includes('"')) {
    let start = 0;
    for (;;) {
      const comma = line.indexOf(',', start);
      if (out.length >= MAX_FIELDS) return false;
      if (comma < 0) {
        out.push(line.slice(start));
        return true;
      }
      out.push(line.slice(start, comma));
      start = comma + 1;
    }
  }
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      if (out.length >= MAX_FIELDS) return false;
      out.push(field);
      field = '';
    } else field += c;
  }
  if (quoted || out.length >= MAX_FIELDS) return false;
  out.push(field);
  return true;
};

/** Column positions from a header line; throws SOURCE_FAILED when a required column is missing. */
export const parseHeader = (line: string): Columns => {
  const names: string[] = [];
  if (!splitCsv(line, names)) throw new TickstreamError('SOURCE_FAILED', 'CSV header is malformed');
  const cols: Record<Field, number> = {
    time: -1,
    date: -1,
    symbol: -1,
    suffix: -1,
    size: -1,
    price: -1,
    seq: -1,
    conditions: -1,
  };
  let taqConditions = false;
  names.forEach((raw, i) => {
    const name = raw.trim().toLowerCase();
    const f = Object.hasOwn(ALIASES, name) ? ALIASES[name] : undefined;
    if (f !== undefined && cols[f] < 0) {
      cols[f] = i;
      if (f === 'conditions') taqConditions = name === 'tr_scond';
    }
  });
  const missing = REQUIRED.filter((f) => cols[f] < 0);
  if (missing.length > 0) {
    throw new TickstreamError(
      'SOURCE_FAILED',
      `CSV header lacks column(s) ${missing.join(', ')}; expected at least time,symbol,size,price (got ${JSON.stringify(line.slice(0, 200))})`,
    );
  }
  return { ...cols, taqConditions };
};

const num = (name: string, s: string | undefined): number | Verdict<Trade> => {
  const t = (s ?? '').trim();
  if (t.length === 0) return reject('invalid_field', `${name} is empty`);
  if (t.length > 40 || !DECIMAL.test(t))
    return reject('invalid_field', `${name} ${JSON.stringify(t.slice(0, 40))} is not a number`);
  return Number(t);
};

/** TAQ's TR_SCOND packs one-character codes ("@FTI", blanks for none); other tapes separate codes. */
const conditionsOf = (s: string | undefined, taq: boolean): string[] => {
  const t = (s ?? '').trim();
  if (t.length === 0) return [];
  if (taq) return [...t].filter((c) => c !== ' ');
  return t.split(/[ |;]+/).filter((c) => c.length > 0);
};

/** Parses the data lines of one tape. `fixedMidnight`: local midnight of --date, used when there is no DATE column. */
export class CsvTradeParser {
  private readonly cols: Columns;
  private readonly calendar: TapeCalendar;
  private readonly fixedMidnight: number | undefined;
  private readonly fields: string[] = [];

  constructor(cols: Columns, calendar: TapeCalendar, fixedMidnight: number | undefined) {
    this.cols = cols;
    this.calendar = calendar;
    this.fixedMidnight = fixedMidnight;
  }

  parse(line: string, lineNo: number): Verdict<Trade> {
    const f = this.fields;
    const c = this.cols;
    if (!splitCsv(line, f)) return reject('decode_error', `not a CSV line of at most ${MAX_FIELDS} fields`);
    const width = Math.max(c.time, c.symbol, c.size, c.price);
    if (f.length <= width)
      return reject('unknown_shape', `expected at least ${width + 1} fields, got ${f.length}`);
    let midnight = this.fixedMidnight;
    if (c.date >= 0) {
      const d = (f[c.date] ?? '').trim();
      if (d.length > 0) {
        midnight = this.calendar.midnight(d);
        if (midnight === undefined)
          return reject(
            'bad_timestamp',
            `date ${JSON.stringify(d.slice(0, 20))} is not YYYY-MM-DD or YYYYMMDD`,
          );
      }
    }
    const time = this.calendar.parse(f[c.time] ?? '', midnight);
    if (typeof time !== 'number') return { ok: false, reason: time.reason, detail: time.detail };
    const size = num('size', f[c.size]);
    if (typeof size !== 'number') return size;
    const price = num('price', f[c.price]);
    if (typeof price !== 'number') return price;
    let seq = lineNo;
    if (c.seq >= 0 && (f[c.seq] ?? '').trim() !== '') {
      const s = num('seq', f[c.seq]);
      if (typeof s !== 'number') return s;
      seq = s;
    }
    let symbol = (f[c.symbol] ?? '').trim();
    const suffix = c.suffix >= 0 ? (f[c.suffix] ?? '').trim() : '';
    if (suffix.length > 0) symbol = `${symbol}.${suffix}`; // TAQ: SYM_ROOT BRK + SYM_SUFFIX B = BRK.B
    const trade: Trade = {
      symbol,
      price: price as Price,
      size: size as Quantity,
      // TAQ times carry micro- or nanoseconds; the platform's event time is whole milliseconds.
      time: Math.floor(time) as EventTimeMs,
      conditions: c.conditions >= 0 ? conditionsOf(f[c.conditions], c.taqConditions) : [],
      seq,
    };
    return checkTrade(trade) ?? accept(trade);
  }
}
