import { describe, expect, it } from 'vitest';
import { formatCount, formatDuration, formatNumber, toJsonText } from '../../src/core/format.js';
import { formatNumber as reportNumber } from '../../src/report/render-report.js';

describe('one number formatter, the styles each place used', () => {
  it('default: 3 significant digits, integers as is, NaN and Infinity spelled out', () => {
    expect(formatNumber(0.123456)).toBe('0.123');
    expect(formatNumber(1234.5)).toBe('1.23e+3');
    expect(formatNumber(42)).toBe('42');
    expect(formatNumber(Number.NaN)).toBe('NaN');
    expect(formatNumber(-Infinity)).toBe('-Infinity');
  });

  it('styles: fixed from a size, decimals, NA, digits for integers', () => {
    expect(formatNumber(1234.5, { fixedFrom: 100 })).toBe('1235');
    expect(formatNumber(2.25, { decimals: 1, missing: 'NA' })).toBe('2.3');
    expect(formatNumber(null, { missing: 'NA' })).toBe('NA');
    expect(formatNumber(5, { integers: 'digits', digits: 4 })).toBe('5.000');
    expect(formatNumber(Infinity, { nonFinite: 'NA' })).toBe('NA');
  });

  it("the report's table style", () => {
    expect(reportNumber(12345)).toBe('12,345');
    expect(reportNumber(Infinity)).toBe('∞');
    expect(reportNumber(undefined)).toBe('—');
    expect(reportNumber(0.0004567)).toBe('4.57e-4');
    expect(reportNumber(456.7)).toBe('457');
  });

  it('counts and durations', () => {
    expect(formatCount(1234567.4)).toBe('1,234,567');
    expect(formatDuration(89)).toBe('89s');
    expect(formatDuration(4000)).toBe('67m');
    expect(formatDuration(7200)).toBe('2.0h');
    expect(formatDuration(Number.NaN)).toBe('?');
  });
});

describe('NaN-safe JSON', () => {
  it('NaN is null; Infinity is null or a string; typed arrays optionally as arrays', () => {
    expect(toJsonText({ p: Number.NaN, hr: Infinity })).toBe('{"p":null,"hr":null}');
    expect(toJsonText({ a: -Infinity, b: Number.NaN }, { infinity: 'string' })).toBe(
      '{"a":"-Infinity","b":null}',
    );
    expect(toJsonText({ x: new Float64Array([1, Number.NaN]) }, { typedArrays: true })).toBe(
      '{"x":[1,null]}',
    );
  });
});
