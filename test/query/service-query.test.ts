import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { InvalidQueryError } from '../../src/domain/errors.js';
import { supervisorRow, openTestStore, type TestStore } from '../../src/query/test-store.js';
import { buildServices, type Caller, type Services } from '../../src/service/index.js';

describe('the Supervisor service answers queries through the query compiler', () => {
  let t: TestStore;
  let services: Services;
  const caller = { role: 'DOMAIN_ADMIN', domainId: 'domain-a', requestId: 'test' } as Caller;

  before(async () => {
    t = await openTestStore([
      supervisorRow({ supervisor_id: 'sv-1', name: 'Überwachung', state: 'ENABLED' }),
      supervisorRow({ supervisor_id: 'sv-2', name: 'beta', state: 'ENABLED', priority: 3 }),
      supervisorRow({ supervisor_id: 'sv-3', name: 'gamma', state: 'DISABLED' }),
      supervisorRow({ supervisor_id: 'sv-4', name: 'elsewhere', domain_id: 'domain-b' }),
    ]);
    services = await buildServices(t.store, { logger: pino({ level: 'silent' }) });
  });
  after(async () => t.dispose());

  it('runs stat with group and count, flattened, in the caller domain only', async () => {
    const answer = await services.supervisors.stat(caller, {
      domain_id: 'domain-a',
      query: {
        aggregate: [
          {
            group: {
              keys: [{ key: 'state', name: 'state' }],
              fields: [{ name: 'n', operator: 'count' }],
            },
          },
          { sort: { key: 'n', desc: true } },
        ],
        page: { limit: 1 },
      },
    });
    assert.deepEqual(answer, { results: [{ state: 'ENABLED', n: 2 }], total_count: 2 });
  });

  it('runs list with a Unicode contain, a sort and a page', async () => {
    const page = await services.supervisors.list(caller, {
      domain_id: 'domain-a',
      query: {
        filter_or: [
          { k: 'name', v: 'ÜBER', o: 'contain' },
          { k: 'priority', v: 5, o: 'lt' },
        ],
        sort: { key: 'name', desc: true },
        page: { start: 1, limit: 10 },
      },
    });
    assert.deepEqual(
      page.results.map((s) => s.supervisor_id),
      ['sv-1', 'sv-2'],
    );
    assert.equal(page.total_count, 2);
  });

  it('refuses an invalid query with ERROR_INVALID_QUERY naming the key', async () => {
    await assert.rejects(
      services.supervisors.list(caller, {
        domain_id: 'domain-a',
        query: { filter: [{ k: 'priority', v: 'abc' }] },
      }),
      (e: unknown) => e instanceof InvalidQueryError && e.key === 'priority',
    );
  });
});
