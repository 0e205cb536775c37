import assert from 'node:assert/strict';
import { test } from 'node:test';

import { badgeFor, isTrackedSource } from '../src/cells';
import { row } from './fixtures';

test('a tracked cell starts with the %%track cell magic', () => {
  assert.ok(isTrackedSource('%%track\nx = 1'));
  assert.ok(isTrackedSource('\n  %%track --name base\nx = 1'));
  assert.ok(!isTrackedSource('%%tracker\nx = 1'));
  assert.ok(!isTrackedSource('x = 1\n%%track'));
  assert.ok(!isTrackedSource('%track runs'));
});

test('the badge shows the latest run, its status and headline metric', () => {
  const latest = row({ run_id: 'r-6fegfw1tabcd', status: 'FAILED', start_time: 1000,
    headline: 'acc', metrics: { acc: 0.95, loss: 0.1 } });
  const badge = badgeFor({ latest, count: 3 }, true, 1000 + 600);
  assert.deepEqual(badge, {
    text: '✖ r-6fegfw1t · acc=0.95',
    mod: 'failed',
    title: 'Latest run of this cell: r-6fegfw1tabcd, failed 10 min ago (3 runs). Click for details.',
    runId: 'r-6fegfw1tabcd'
  });
});

test('a %%track cell without runs says so; an untracked cell without runs has no badge', () => {
  assert.equal(badgeFor(undefined, true)?.mod, 'none');
  assert.equal(badgeFor(undefined, false), null);
  const plain = badgeFor({ latest: row({ run_id: 'r-aaaa0001' }), count: 1 }, false);
  assert.equal(plain?.text, '● r-aaaa0001');
});
