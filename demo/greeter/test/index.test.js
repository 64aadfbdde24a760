import assert from 'node:assert/strict';
import { test } from 'node:test';
import { version } from '../src/index.js';

test('exports a version', () => {
  assert.equal(version, '1.0.0');
});
