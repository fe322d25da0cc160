import type { Kysely } from 'kysely';

/**
 * Single-flight for get_plugin_endpoint: one claim per (domain, plugin_id, version, labels) names
 * the supervisor whose instance serves those requests. The primary key makes the second of two
 * concurrent first requests fail its INSERT and join the first one's instance, in one process or
 * across control-plane replicas sharing the database.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('instance_claims')
    .addColumn('claim_key', 'text', (c) => c.primaryKey())
    .addColumn('domain_id', 'text', (c) => c.notNull())
    .addColumn('plugin_id', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('labels', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('supervisor_id', 'text', (c) => c.notNull())
    .addColumn('generation', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('instance_claims_instance_idx')
    .on('instance_claims')
    .columns(['supervisor_id', 'plugin_id', 'version'])
    .execute();
}
