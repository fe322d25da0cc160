import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import * as catalogue from '../domain/errors.js';
import { ERROR_CODES, PlugvisorError } from '../domain/errors.js';
import { STATUS_BY_KIND } from './errors.js';

/** One instance of every error class in the catalogue (constructors take strings or lists). */
function everyError(): PlugvisorError[] {
  const out: PlugvisorError[] = [];
  for (const value of Object.values(catalogue)) {
    if (typeof value !== 'function' || value === PlugvisorError) continue;
    if (!(value.prototype instanceof PlugvisorError)) continue;
    const ErrorClass = value as unknown as new (...args: unknown[]) => PlugvisorError;
    out.push(new ErrorClass('a', ['b'], 'c', 'd'));
  }
  return out;
}

const docs = readFileSync(resolve(import.meta.dirname, '../../../docs/errors.md'), 'utf8');

describe('the error catalogue', () => {
  it('lists every class code in ERROR_CODES and nothing else', () => {
    assert.deepEqual(
      everyError()
        .map((e) => e.code)
        .sort(),
      [...ERROR_CODES].sort(),
    );
  });

  it('maps every kind to one gRPC status and one HTTP status', () => {
    for (const err of everyError()) {
      const mapped = STATUS_BY_KIND[err.kind];
      assert.ok(mapped !== undefined, `${err.code} has kind ${err.kind} without a status`);
      assert.ok(mapped.http >= 400 && mapped.http < 600);
    }
  });

  it('documents every code with the statuses the transports use', () => {
    for (const err of everyError()) {
      const row = docs.split('\n').find((line) => line.startsWith(`| ${err.code} |`));
      assert.ok(row !== undefined, `docs/errors.md has no row for ${err.code}`);
      const cells = row.split('|').map((c) => c.trim());
      const { grpc, http } = STATUS_BY_KIND[err.kind];
      assert.equal(cells[2], err.kind, `${err.code} kind`);
      assert.equal(cells[3], status[grpc], `${err.code} gRPC status`);
      assert.equal(cells[4], String(http), `${err.code} HTTP status`);
    }
  });
});
