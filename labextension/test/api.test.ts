import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  NbtrackClient,
  NbtrackRequestError,
  SERVER_EXTENSION_MISSING,
  runsEndpoint,
  withQuery
} from '../src/api';
import { fakeServer, row } from './fixtures';

test('runsEndpoint encodes the filter and leaves out empty values', () => {
  assert.equal(
    runsEndpoint({ path: 'nb/a b.ipynb', filter: "  params.model = 'rf' ", limit: 50 }),
    "runs?path=nb%2Fa%20b.ipynb&filter=params.model%20%3D%20'rf'&limit=50"
  );
  assert.equal(runsEndpoint({ path: '', filter: '   ' }), 'runs');
  assert.equal(withQuery('cells', { ids: 'a,b', path: undefined }), 'cells?ids=a%2Cb');
});

test('runs() returns the parsed page', async () => {
  const page = { runs: [row({ run_id: 'r-abcd1234' })], total: 1, differing_params: [],
    store: 'sqlite:///x', exists: true };
  const { request, calls } = fakeServer(() => ({ status: 200, body: page }));
  const client = new NbtrackClient(request);
  assert.deepEqual(await client.runs({ path: 'a.ipynb' }), page);
  assert.equal(calls[0].endpoint, 'runs?path=a.ipynb');
});

test('compare() asks for the runs by id and keeps the order asked for', async () => {
  const page = { runs: [row({ run_id: 'r-bbbb0002' }), row({ run_id: 'r-aaaa0001' })], total: 2,
    differing_params: ['C'], store: 'sqlite:///x', exists: true };
  const { request, calls } = fakeServer(() => ({ status: 200, body: page }));
  const comparison = await new NbtrackClient(request).compare(['r-aaaa0001', 'r-bbbb0002'], 'a.ipynb');
  assert.equal(calls[0].endpoint, 'runs?path=a.ipynb&limit=2&ids=r-aaaa0001%2Cr-bbbb0002');
  assert.deepEqual(comparison.runs.map(run => run.run_id), ['r-aaaa0001', 'r-bbbb0002']);
  assert.deepEqual(comparison.differing_params, ['C']);
});

test('compare() names a run the store no longer has', async () => {
  const page = { runs: [row({ run_id: 'r-aaaa0001' })], total: 1, differing_params: [],
    store: 'sqlite:///x', exists: true };
  const { request } = fakeServer(() => ({ status: 200, body: page }));
  await assert.rejects(new NbtrackClient(request).compare(['r-aaaa0001', 'r-cccc0003'], 'a.ipynb'), {
    message: 'r-cccc0003 is no longer in the store; refresh the runs list and pick again'
  });
});

test('export posts the notebook path and the file name', async () => {
  const { request, calls } = fakeServer(() => ({
    status: 201, body: { path: 'nb/x.ipynb', requirements: 'nb/x.requirements.txt', warnings: [] }
  }));
  const reply = await new NbtrackClient(request).exportRun('r-abcd1234', 'nb/a.ipynb', 'x.ipynb');
  assert.equal(reply.path, 'nb/x.ipynb');
  assert.equal(calls[0].endpoint, 'runs/r-abcd1234/export');
  assert.equal(calls[0].init.method, 'POST');
  assert.deepEqual(JSON.parse(String(calls[0].init.body)), { path: 'nb/a.ipynb', name: 'x.ipynb' });
});

test('a server error keeps its one-line message and status', async () => {
  const { request } = fakeServer(() => ({
    status: 400, body: { code: 400, message: "bad filter at 12: expected a value" }
  }));
  await assert.rejects(new NbtrackClient(request).runs({ path: '', filter: 'metrics.acc >' }), {
    name: 'NbtrackRequestError', status: 400, message: 'bad filter at 12: expected a value'
  });
});

test('a 404 page without JSON means the server extension is missing', async () => {
  const { request } = fakeServer(() => ({ status: 404, body: '<html>404 Not Found</html>' }));
  await assert.rejects(new NbtrackClient(request).runs({ path: '' }), (error: unknown) => {
    return error instanceof NbtrackRequestError && error.message === SERVER_EXTENSION_MISSING;
  });
});

test('a network failure says the server cannot be reached', async () => {
  const { request } = fakeServer(() => new TypeError('Failed to fetch'));
  await assert.rejects(new NbtrackClient(request).run('r-abcd1234', ''), /cannot reach the Jupyter server \(Failed to fetch\)/);
});

test('a malformed run id is refused before any request', async () => {
  const { request, calls } = fakeServer(() => ({ status: 200, body: {} }));
  await assert.rejects(new NbtrackClient(request).run('../../etc', ''), /is not a run id/);
  assert.equal(calls.length, 0);
});

test('cells() sends every id in one request and skips the call for none', async () => {
  const { request, calls } = fakeServer(() => ({ status: 200, body: { cells: {}, store: 's' } }));
  const client = new NbtrackClient(request);
  assert.deepEqual(await client.cells('a.ipynb', []), { cells: {}, store: '' });
  assert.equal(calls.length, 0);
  await client.cells('a.ipynb', ['c1', 'c2']);
  assert.equal(calls[0].endpoint, 'cells?path=a.ipynb&ids=c1%2Cc2');
});

test('history() encodes the metric key', async () => {
  const { request, calls } = fakeServer(() => ({ status: 200, body: { run_id: 'r-abcd1234', key: 'val/loss', points: [] } }));
  await new NbtrackClient(request).history('r-abcd1234', 'val/loss', 'a.ipynb');
  assert.equal(calls[0].endpoint, 'runs/r-abcd1234/metrics/val%2Floss?path=a.ipynb');
});
