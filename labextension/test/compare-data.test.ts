import assert from 'node:assert/strict';
import { test } from 'node:test';

import { comparisonTable, historySpec, metricKeys } from '../src/compare-data';
import { row } from './fixtures';

const runs = [
  row({ run_id: 'r-aaaa0001', name: 'a', params: { C: 0.1, model: 'lr', seed: 1 }, metrics: { acc: 0.8 } }),
  row({ run_id: 'r-aaaa0002', name: 'b', params: { C: 1, model: 'lr', seed: 1 }, metrics: { acc: 0.9, loss: 0.3 } }),
  row({ run_id: 'r-aaaa0003', params: { C: 1, model: 'lr' }, metrics: { loss: 0.2 } })
];

test('every metric key of the runs, sorted', () => {
  assert.deepEqual(metricKeys(runs), ['acc', 'loss']);
});

test('the table puts the params the server says differ first and marks them', () => {
  const table = comparisonTable(runs, ['C', 'seed']);
  assert.deepEqual(table.columns.map(c => c.key),
    ['run', 'status', 'params.C', 'params.seed', 'params.model', 'metrics.acc', 'metrics.loss']);
  assert.deepEqual(table.columns.filter(c => c.differs).map(c => c.label), ['C', 'seed']);
  assert.deepEqual(table.rows[0].cells, ['a (r-aaaa0001)', 'finished', '0.1', '1', 'lr', '0.8', '']);
  assert.equal(table.rows[2].cells[0], 'r-aaaa0003');
  const only = comparisonTable(runs, ['C', 'seed'], true);
  assert.ok(!only.columns.some(c => c.key === 'params.model'));
});

test('the history spec has one line per run with every numeric point', () => {
  const spec = historySpec('loss', [
    { run_id: 'r-aaaa0001', key: 'loss', points: [{ step: 0, value: 1, timestamp: 0 }, { step: 1, value: 0.5, timestamp: 0 }] },
    { run_id: 'r-aaaa0002', key: 'loss', points: [{ step: 0, value: 'nan', timestamp: 0 }, { step: 1, value: 0.4, timestamp: 0 }] }
  ], runs) as { data: { values: Record<string, unknown>[] }; mark: { type: string }; encoding: { y: { field: string } } };
  assert.deepEqual(spec.data.values, [
    { run: 'a (r-aaaa0001)', step: 0, loss: 1 },
    { run: 'a (r-aaaa0001)', step: 1, loss: 0.5 },
    { run: 'b (r-aaaa0002)', step: 1, loss: 0.4 }
  ]);
  assert.equal(spec.mark.type, 'line');
  assert.equal(spec.encoding.y.field, 'loss');
});

test('single-point metrics are drawn as points, not lines', () => {
  const spec = historySpec('acc', [
    { run_id: 'r-aaaa0001', key: 'acc', points: [{ step: 0, value: 0.8, timestamp: 0 }] }
  ], runs) as { mark: { type: string } };
  assert.equal(spec.mark.type, 'point');
});
