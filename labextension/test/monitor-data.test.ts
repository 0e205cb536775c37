import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  badgeText,
  besideBadge,
  checkTitle,
  featureRow,
  figuresLine,
  scopeText,
  servedCheck,
  topFeatures,
  VERDICTS,
  verdictOf
} from '../src/monitor-data';
import type { IModelVersionRow, IMonitorCheck } from '../src/tokens';

const NOW = 1_800_000_000;

const check = (overrides: Partial<IMonitorCheck> = {}): IMonitorCheck => ({
  run_id: 'r-6gbky9hzddv9', time: NOW - 2 * 3600, model: 'iris', version: 2, window: 'last',
  windows: 1, verdict: 'drifted', drift: 'drifted', share: 0.5, max_psi: 1.23456,
  requests: 80, error_rate: 0, rule: null, tested: 2,
  features: [
    { feature: 'petal width', psi: 1.23456, p: 1.28e-11, severity: 'major' },
    { feature: 'sepal length', psi: 0.0201, p: 0.77, severity: 'none' }
  ],
  ...overrides
});

const version = (v: number, aliases: string[], monitor: IMonitorCheck | null): IModelVersionRow => ({
  version: v, run_id: `r-000000000${v}`, created: NOW, created_by: 'me', format: 'skops',
  digest: 'x', metrics: {}, aliases, monitor
});

test('every verdict has its own glyph and words, so colour is never the only sign', () => {
  const looks = Object.values(VERDICTS);
  assert.equal(new Set(looks.map(l => l.glyph)).size, looks.length);
  assert.equal(new Set(looks.map(l => l.word)).size, looks.length);
  assert.equal(badgeText(check()), '▲ drifted');
  assert.equal(badgeText(check({ verdict: 'rule_fired' })), '✖ rule fired');
  assert.equal(badgeText(check({ verdict: 'insufficient_data' })), '… insufficient data');
  assert.deepEqual(verdictOf('something_new'), { glyph: '?', word: 'something new', mod: 'unknown' });
});

test('figures leave out what the check did not measure', () => {
  assert.equal(figuresLine(check()), 'drift share 0.5 · max PSI 1.235');
  assert.equal(figuresLine(check({ share: null, max_psi: null })), '');
  assert.equal(figuresLine(check({ max_psi: 'nan' })), 'drift share 0.5');
  assert.equal(besideBadge(check(), NOW), '2 h ago · drift share 0.5 · max PSI 1.235');
});

test('the most drifted features come with their PSI, largest first as sent', () => {
  assert.equal(topFeatures(check()), 'petal width (PSI 1.235), sepal length (PSI 0.0201)');
  assert.equal(topFeatures(check(), 1), 'petal width (PSI 1.235)');
  assert.equal(topFeatures(check({ features: [] })), '');
});

test('the scope says which requests or windows were checked', () => {
  assert.equal(scopeText(check()), 'latest 80 requests');
  assert.equal(scopeText(check({ window: '1d', windows: 3, requests: 2 })),
    'latest of 3 windows of 1d (2 requests in it)');
  assert.equal(scopeText(check({ window: null, model: null, requests: null })),
    'one drift check of two tables');
});

test('the tooltip holds the age, figures, features and the rule', () => {
  const title = checkTitle(check({ verdict: 'rule_fired',
    rule: { rule: 'drift.share >= 0.5', fired: true } }), NOW).split('\n');
  assert.match(title[0], /^latest check: rule fired \(inputs: drifted\), 2 h ago \(/);
  assert.deepEqual(title.slice(1), [
    'latest 80 requests', 'drift share 0.5 · max PSI 1.235',
    'most drifted: petal width (PSI 1.235), sepal length (PSI 0.0201)',
    'rule fired: drift.share >= 0.5', 'click to open the check r-6gbky9hzddv9']);
  const held = checkTitle(check({ rule: { rule: 'drift.share > 2', fired: false } }), NOW);
  assert.ok(held.includes('\nrule holds back: drift.share > 2\n'));
  assert.ok(!checkTitle(check({ features: [], verdict: 'insufficient_data' }), NOW)
    .includes('most drifted'));
});

test('the served check is the newest check of a version an alias points at', () => {
  const older = check({ time: NOW - 7200, run_id: 'r-older000001' });
  const newer = check({ time: NOW - 60, run_id: 'r-newer000001' });
  const unserved = check({ time: NOW, run_id: 'r-unserved001' });
  const model = (versions: IModelVersionRow[]) => ({ name: 'iris', aliases: {}, versions, history: [] });
  assert.deepEqual(servedCheck(model([version(1, ['staging'], older), version(2, ['production'], newer),
    version(3, [], unserved)])), { version: 2, check: newer });
  assert.equal(servedCheck(model([version(1, [], unserved), version(2, ['production'], null)])), null);
});

test('a feature row shows untested figures as a dash', () => {
  assert.deepEqual(featureRow(check().features[0]), ['petal width', '1.235', '1.28e-11', 'major']);
  assert.deepEqual(featureRow({ feature: 'c', psi: 0.3, p: 'nan', severity: 'major' }),
    ['c', '0.3', '–', 'major']);
  assert.deepEqual(featureRow({ feature: 'd', psi: null, p: null, severity: 'none' }),
    ['d', '–', '–', 'none']);
});
