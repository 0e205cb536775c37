import assert from 'node:assert/strict';
import { test } from 'node:test';

import { NbtrackClient } from '../src/api';
import { RunsModel } from '../src/runs-model';
import { fakeServer, row } from './fixtures';

function page(ids: string[], store = 'sqlite:///s') {
  return { runs: ids.map(run_id => row({ run_id })), total: ids.length, differing_params: [], store, exists: true };
}

test('refresh tells listeners only when the runs changed', async () => {
  let ids = ['r-aaaa0001'];
  const { request, calls } = fakeServer(() => ({ status: 200, body: page(ids) }));
  const model = new RunsModel(new NbtrackClient(request), 25);
  let heard = 0;
  model.onChange(() => heard++);
  assert.equal(await model.setPath('nb/a.ipynb'), true);
  assert.equal(calls[0].endpoint, 'runs?path=nb%2Fa.ipynb&limit=25');
  assert.equal(await model.refresh(), false);
  assert.equal(heard, 1);
  ids = ['r-aaaa0002', 'r-aaaa0001'];
  assert.equal(await model.refresh(), true);
  assert.equal(heard, 2);
  assert.deepEqual(model.page?.runs.map(r => r.run_id), ids);
});

test('a bad filter keeps the last good runs and shows the error', async () => {
  const { request } = fakeServer((endpoint) => endpoint.includes('filter')
    ? { status: 400, body: { code: 400, message: 'bad filter at 13: expected a value' } }
    : { status: 200, body: page(['r-aaaa0001']) });
  const model = new RunsModel(new NbtrackClient(request));
  await model.setPath('a.ipynb');
  await model.setFilter('metrics.acc >');
  assert.equal(model.error, 'bad filter at 13: expected a value');
  assert.deepEqual(model.page?.runs.map(r => r.run_id), ['r-aaaa0001']);
  await model.setFilter('');
  assert.equal(model.error, null);
});

test('selection: toggled runs in selection order; another notebook clears it', async () => {
  const { request } = fakeServer(() => ({ status: 200, body: page(['r-aaaa0001', 'r-aaaa0002', 'r-aaaa0003']) }));
  const model = new RunsModel(new NbtrackClient(request));
  await model.setPath('a.ipynb');
  model.toggle('r-aaaa0003');
  model.toggle('r-aaaa0001');
  model.toggle('r-zzzz9999');
  assert.deepEqual(model.selected().map(r => r.run_id), ['r-aaaa0003', 'r-aaaa0001']);
  model.toggle('r-aaaa0003');
  assert.deepEqual(model.selected().map(r => r.run_id), ['r-aaaa0001']);
  await model.setPath('b.ipynb');
  assert.deepEqual(model.selected(), []);
});

test('an answer that arrives after a newer request is dropped', async () => {
  const resolvers: ((v: unknown) => void)[] = [];
  const request = (endpoint: string) => new Promise<{ ok: boolean; status: number; text(): Promise<string> }>(resolve => {
    resolvers.push(() => resolve({ ok: true, status: 200,
      text: async () => JSON.stringify(page([endpoint.includes('filter') ? 'r-new00001' : 'r-old00001'])) }));
  });
  const model = new RunsModel(new NbtrackClient(request));
  const first = model.refresh();
  const second = model.setFilter("name = 'x'");
  resolvers[1](null);
  await second;
  resolvers[0](null);
  await first;
  assert.deepEqual(model.page?.runs.map(r => r.run_id), ['r-new00001']);
});
