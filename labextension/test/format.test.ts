import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  formatAge,
  formatDuration,
  formatNumber,
  formatValue,
  headlineText,
  runLabel,
  statusOf
} from '../src/format';

test('numbers keep four significant digits like the cell summary', () => {
  assert.equal(formatNumber(0.953333), '0.9533');
  assert.equal(formatNumber(12), '12');
  assert.equal(formatNumber(1234.5678), '1235');
  assert.equal(formatNumber(0.00001234), '1.234e-5');
  assert.equal(formatNumber(-0.5), '-0.5');
  assert.equal(formatNumber(Number.NaN), 'nan');
  assert.equal(formatNumber(-Infinity), '-inf');
});

test('values: strings are cut at 40 characters, containers shown as JSON', () => {
  assert.equal(formatValue('rf'), 'rf');
  assert.equal(formatValue('x'.repeat(50)), 'x'.repeat(37) + '...');
  assert.equal(formatValue([1, 2]), '[1,2]');
  assert.equal(formatValue(null), 'null');
  assert.equal(formatValue(true), 'true');
  assert.equal(formatValue('nan'), 'nan');
  assert.equal(formatValue(undefined), '');
});

test('durations and ages read naturally', () => {
  assert.equal(formatDuration(0.0371), '0.037 s');
  assert.equal(formatDuration(12.4), '12 s');
  assert.equal(formatDuration(185), '3 min 05 s');
  assert.equal(formatDuration(7440), '2 h 04 min');
  assert.equal(formatDuration(null), '');
  assert.equal(formatAge(1000, 1010), 'just now');
  assert.equal(formatAge(1000, 1000 + 300), '5 min ago');
  assert.equal(formatAge(1000, 1000 + 3 * 3600), '3 h ago');
  assert.equal(formatAge(1000, 1000 + 2 * 86400), '2 d ago');
});

test('status glyphs match the summary line, unknown statuses read as themselves', () => {
  assert.equal(statusOf('FINISHED').glyph, '●');
  assert.equal(statusOf('FAILED').mod, 'failed');
  assert.deepEqual(statusOf('ARCHIVED'), { glyph: '●', mod: 'unknown', word: 'archived' });
});

test('headline text and labels', () => {
  assert.equal(headlineText({ headline: 'acc', metrics: { acc: 0.93333, loss: 0.2 } }), 'acc=0.9333');
  assert.equal(headlineText({ headline: null, metrics: {} }), '');
  assert.equal(headlineText({ headline: 'gone', metrics: { acc: 1 } }), '');
  assert.equal(runLabel({ name: null, run_id: 'r-6fegfw1tabcd' }), 'r-6fegfw1t');
  assert.equal(runLabel({ name: 'baseline', run_id: 'r-6fegfw1tabcd' }), 'baseline');
});
