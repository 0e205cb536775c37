import assert from 'node:assert/strict';
import { test } from 'node:test';

import { aliasLine, describeEvent } from '../src/models-data';
import type { IRegistryEvent } from '../src/tokens';

const event = (overrides: Partial<IRegistryEvent>): IRegistryEvent => ({
  ts: 1_800_000_000, op: 'register', version: 1, alias: null, old: null, new: null,
  user: 'me', ...overrides
});

test('aliases read as one sorted line', () => {
  const model = { name: 'iris', aliases: { staging: 3, production: 2 }, versions: [], history: [] };
  assert.equal(aliasLine(model), '@production → 2 · @staging → 3');
  assert.equal(aliasLine({ ...model, aliases: {} }), '');
});

test('each registry event is a short sentence', () => {
  assert.equal(describeEvent(event({})), 'registered version 1');
  assert.equal(describeEvent(event({ op: 'set_alias', alias: 'production', new: 1 })), '@production → 1');
  assert.equal(describeEvent(event({ op: 'set_alias', alias: 'production', old: 1, new: 2 })),
    '@production 1 → 2');
  assert.equal(describeEvent(event({ op: 'delete_alias', alias: 'staging', old: 3 })),
    '@staging removed (was 3)');
  assert.equal(describeEvent(event({ op: 'delete_version', version: 4 })), 'deleted version 4');
});
