import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { VERSION } from '../../src/version.js';
import { ROOT } from './helpers.js';

describe('version', () => {
  it('VERSION is the version in package.json', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(VERSION, pkg.version);
  });
});
