import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TapeCalendar, zoneOffsetMs } from './tape-time.ts';

const cal = new TapeCalendar(); // America/New_York
const jan2 = cal.midnight('2024-01-02');

test('New York offsets: -5 h in winter, -4 h in summer', () => {
  assert.equal(zoneOffsetMs(Date.UTC(2024, 0, 2, 12), 'America/New_York'), -5 * 3600_000);
  assert.equal(zoneOffsetMs(Date.UTC(2024, 6, 1, 12), 'America/New_York'), -4 * 3600_000);
  assert.equal(jan2, Date.UTC(2024, 0, 2, 5));
  assert.equal(cal.midnight('20240102'), jan2, 'TAQ DATE column form');
  assert.equal(cal.midnight('2024-02-30'), undefined);
  assert.equal(cal.midnight('yesterday'), undefined);
  assert.throws(() => new TapeCalendar('Mars/Olympus_Mons'), RangeError);
});

test('ISO 8601 with Z, an offset, or no zone (tape local time)', () => {
  assert.equal(cal.parse('2024-01-02T14:30:00.123Z', undefined), Date.UTC(2024, 0, 2, 14, 30, 0, 123));
  assert.equal(cal.parse('2024-01-02T09:30:00.123-05:00', undefined), Date.UTC(2024, 0, 2, 14, 30, 0, 123));
  assert.equal(cal.parse('2024-01-02 15:30:00+0100', undefined), Date.UTC(2024, 0, 2, 14, 30));
  assert.equal(cal.parse('2024-01-02T09:30:00.123456789', undefined), Date.UTC(2024, 0, 2, 14, 30, 0, 123));
  assert.equal(cal.parse('2024-07-01T09:30', undefined), Date.UTC(2024, 6, 1, 13, 30));
});

test('epoch milliseconds', () => {
  assert.equal(cal.parse('1704205800123', undefined), 1704205800123);
  assert.equal(cal.parse(' 1704205800123 ', undefined), 1704205800123);
});

test('TAQ HHMMSSmmm and HH:MM:SS.fraction need the trade date', () => {
  assert.equal(cal.parse('093000123', jan2), Date.UTC(2024, 0, 2, 14, 30, 0, 123));
  assert.equal(cal.parse('93000123', jan2), Date.UTC(2024, 0, 2, 14, 30, 0, 123), 'leading zero dropped');
  assert.equal(cal.parse('160000000', jan2), Date.UTC(2024, 0, 2, 21, 0));
  assert.equal(cal.parse('09:30:00.123456789', jan2), Date.UTC(2024, 0, 2, 14, 30, 0, 123));
  // 2024-03-10: clocks went forward at 02:00, so 09:30 is EDT (UTC-4).
  assert.equal(cal.parse('093000000', cal.midnight('2024-03-10')), Date.UTC(2024, 2, 10, 13, 30));
  const r = cal.parse('093000123', undefined);
  assert.ok(typeof r === 'object' && r.reason === 'bad_timestamp' && r.detail.includes('date'));
});

test('malformed times are bad_timestamp with a reason', () => {
  for (const s of [
    '',
    '1704205800',
    '250000000',
    '096000000',
    '2024-02-30T10:00:00Z',
    '2024-01-02T24:00:00Z',
    'noon',
    '2024-01-02T09:30:00+5',
    'x'.repeat(100),
  ]) {
    const r = cal.parse(s, jan2);
    assert.ok(typeof r === 'object' && r.reason === 'bad_timestamp', `${s} -> ${JSON.stringify(r)}`);
  }
});
