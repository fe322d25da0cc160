import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonToMessage, jsonToStruct, messageToJson, structToJson } from './proto-json.js';
import { loadProtos } from './protos.js';

describe('Struct conversion at the gRPC edge', () => {
  it('round-trips nested JSON through google.protobuf.Struct', () => {
    const json = {
      s: 'x',
      n: 1.5,
      b: false,
      z: null,
      list: [1, 'two', [true], { deep: {} }],
      obj: { a: { b: 'c' } },
    };
    assert.deepEqual(structToJson(jsonToStruct(json)), json);
  });

  it('keeps keys such as __proto__ as plain data', () => {
    const json = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as Record<
      string,
      unknown
    >;
    const back = structToJson(jsonToStruct(json));
    assert.deepEqual(Object.keys(back).sort(), ['__proto__', 'ok']);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  it('converts Struct and Value fields wherever they sit in a message, both ways', () => {
    const defs = loadProtos();
    const json = {
      domain_id: 'd',
      query: {
        filter: [
          { k: 'tags.env', v: 'prod', o: 'eq' },
          { key: 'labels.n', value: [1, 2], operator: 'in' },
        ],
      },
    };
    const message = jsonToMessage(defs, 'spaceone.api.plugin.v1.SupervisorQuery', json);
    const filters = (message['query'] as { filter: Record<string, unknown>[] }).filter;
    assert.deepEqual(filters[0]?.['v'], { stringValue: 'prod' });
    assert.deepEqual(messageToJson(defs, 'spaceone.api.plugin.v1.SupervisorQuery', message), json);

    const info = jsonToMessage(defs, 'spaceone.api.plugin.v1.SupervisorInfo', {
      tags: { a: true },
    });
    assert.deepEqual(info['tags'], { fields: { a: { boolValue: true } } });
  });
});
