import {
  decimalValue,
  MAX_METRICS_PER_EVENT,
  MetricBag,
  parseRecordValue,
  parseValue
} from '../../src/parse/values';
import { random } from '../seeded';

describe('decimalValue', () => {
  it('reads plain decimals exactly as Number does, and nothing else', () => {
    const next = random(11);
    const digit = (): string => String(Math.floor(next() * 10));
    let read = 0;
    for (let i = 0; i < 200_000; i++) {
      let text = Array.from(
        { length: 1 + Math.floor(next() * 18) },
        digit
      ).join('');
      const point = Math.floor(next() * (text.length + 2));
      if (point <= text.length) {
        text = `${text.slice(0, point)}.${text.slice(point)}`;
      }
      text = (next() < 0.3 ? '-' : next() < 0.1 ? '+' : '') + text;
      const value = decimalValue(text, 0, text.length);
      if (!Number.isNaN(value)) {
        read += 1;
        expect([text, value]).toEqual([text, Number(text)]);
      }
    }
    // Most of them are read here (up to 15 digits); the rest go to Number.
    expect(read).toBeGreaterThan(150_000);
  });

  it.each([
    '',
    '.',
    '-',
    '+.',
    '1.2.3',
    '1e5',
    ' 1',
    '0x10',
    '1_000',
    '1234567890123456'
  ])('leaves %j to Number', text => {
    expect(decimalValue(text, 0, text.length)).toBeNaN();
  });

  it('reads a part of a line', () => {
    expect(decimalValue('loss=0.25,', 5, 9)).toBe(0.25);
    expect(Object.is(decimalValue('-0.0', 0, 4), -0)).toBe(true);
  });
});

describe('parseValue', () => {
  it.each([
    ['0.8765', 0.8765],
    ['1e-4', 0.0001],
    ['3.2e+01', 32],
    ['-2.5', -2.5],
    ['+7', 7],
    ['.5', 0.5],
    ['42', 42],
    ['1.', 1]
  ])('reads %s as a finite number', (text, expected) => {
    expect(parseValue(text)).toEqual({ finite: true, value: expected });
  });

  it.each([
    ['nan', 'NaN'],
    ['NaN', 'NaN'],
    ['-nan', 'NaN'],
    ['inf', 'Infinity'],
    ['Inf', 'Infinity'],
    ['+inf', 'Infinity'],
    ['-inf', '-Infinity'],
    ['Infinity', 'Infinity'],
    ['-Infinity', '-Infinity'],
    ['1e999', 'Infinity'],
    ['-1e999', '-Infinity']
  ])('spells %s out as %s', (text, expected) => {
    expect(parseValue(text)).toEqual({ finite: false, value: expected });
  });

  it.each([
    '',
    'abc',
    '0s',
    '5ms',
    '1.2.3',
    'nanny',
    'infinite',
    '--1',
    '0x1A'
  ])('rejects %j', text => {
    expect(parseValue(text)).toBeNull();
  });
});

describe('parseRecordValue', () => {
  it('takes numbers and the spool spellings of non-finite values', () => {
    expect(parseRecordValue(0.5)).toEqual({ finite: true, value: 0.5 });
    expect(parseRecordValue('NaN')).toEqual({ finite: false, value: 'NaN' });
    expect(parseRecordValue('-Infinity')).toEqual({
      finite: false,
      value: '-Infinity'
    });
    expect(parseRecordValue(null)).toBeNull();
    expect(parseRecordValue({})).toBeNull();
  });
});

describe('MetricBag', () => {
  it('keeps finite and non-finite values apart, the last value of a name winning', () => {
    const bag = new MetricBag();
    bag.add('loss', { finite: false, value: 'NaN' });
    bag.add('loss', { finite: true, value: 0.5 });
    bag.add('acc', { finite: true, value: 0.9 });
    expect(bag.metrics).toEqual({ loss: 0.5, acc: 0.9 });
    expect(bag.nonfinite).toEqual({});
    expect(bag.size).toBe(2);
  });

  it(`holds at most ${MAX_METRICS_PER_EVENT} names`, () => {
    const bag = new MetricBag();
    for (let i = 0; i < MAX_METRICS_PER_EVENT + 10; i++) {
      bag.add(`m${i}`, { finite: true, value: i });
    }
    expect(bag.size).toBe(MAX_METRICS_PER_EVENT);
    expect(bag.full).toBe(true);
    expect(bag.add('m0', { finite: true, value: -1 })).toBe(true);
    expect(bag.metrics.m0).toBe(-1);
  });
});
