import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from 'commander';
import {
  buildListQuery,
  parseFilterArg,
  parseIntegerArg,
  parseLabelArg,
  parseSortArg,
} from './query-args.js';

describe('parseFilterArg', () => {
  const cases: [string, { k: string; v: unknown; o: string }][] = [
    ['state=ENABLED', { k: 'state', v: 'ENABLED', o: 'eq' }],
    ['name!=edge-1', { k: 'name', v: 'edge-1', o: 'not' }],
    ['hostname~example', { k: 'hostname', v: 'example', o: 'contain' }],
    ['priority>=10', { k: 'priority', v: 10, o: 'gte' }],
    ['priority<5', { k: 'priority', v: 5, o: 'lt' }],
    ['labels.region=ap=1', { k: 'labels.region', v: 'ap=1', o: 'eq' }],
    ['is_public=true', { k: 'is_public', v: true, o: 'eq' }],
    ['version=1.0', { k: 'version', v: '1.0', o: 'eq' }],
    ['name=', { k: 'name', v: '', o: 'eq' }],
  ];
  for (const [input, expected] of cases) {
    it(`reads ${input} as ${expected.k} ${expected.o} ${JSON.stringify(expected.v)}`, () => {
      assert.deepEqual(
        parseFilterArg(input, { priority: 'number', is_public: 'boolean' }),
        expected,
      );
    });
  }

  it('refuses text without an operator, and wrongly typed values, naming what is expected', () => {
    assert.throws(() => parseFilterArg('state'), InvalidArgumentError);
    assert.throws(() => parseFilterArg('=x'), /key=value/);
    assert.throws(() => parseFilterArg('is_public=yes', { is_public: 'boolean' }), /true or false/);
    assert.throws(() => parseFilterArg('priority=high', { priority: 'number' }), /a number/);
  });
});

describe('the other option parsers', () => {
  it('reads labels, sort keys and whole numbers', () => {
    assert.deepEqual(parseLabelArg('zone=a=b'), ['zone', 'a=b']);
    assert.throws(() => parseLabelArg('zone'), /key=value/);
    assert.deepEqual(parseSortArg('-name'), { key: 'name', desc: true });
    assert.deepEqual(parseSortArg('labels.zone'), { key: 'labels.zone', desc: false });
    assert.throws(() => parseSortArg('-'), /sort key/);
    assert.equal(parseIntegerArg('3', 1), 3);
    assert.throws(() => parseIntegerArg('0', 1), /at least 1/);
    assert.throws(() => parseIntegerArg('2.5', 1), /whole number/);
  });
});

describe('buildListQuery', () => {
  it('is undefined when no query option is set', () => {
    assert.equal(buildListQuery({}), undefined);
  });

  it('turns 1-based pages of --limit rows into the API row offset', () => {
    assert.deepEqual(buildListQuery({ page: 3, limit: 10 }), { page: { start: 21, limit: 10 } });
    assert.deepEqual(buildListQuery({ page: 2 }), { page: { start: 21, limit: 20 } });
    assert.deepEqual(buildListQuery({ limit: 5 }), { page: { start: 1, limit: 5 } });
  });

  it('puts the command filters before --filter conditions and keeps the sort', () => {
    assert.deepEqual(
      buildListQuery(
        { filter: [{ k: 'name', v: 'a', o: 'eq' }], sort: { key: 'name', desc: true } },
        [{ k: 'state', v: 'ENABLED', o: 'eq' }],
      ),
      {
        filter: [
          { k: 'state', v: 'ENABLED', o: 'eq' },
          { k: 'name', v: 'a', o: 'eq' },
        ],
        sort: { key: 'name', desc: true },
      },
    );
  });
});
