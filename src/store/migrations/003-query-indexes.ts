import type { Kysely } from 'kysely';

/**
 * Indexes for the query language's common filters (issue #3): installed plugins by plugin and
 * state (list_plugins and dashboards filter on both), supervisors by domain and priority.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('installed_plugins_plugin_state_idx')
    .on('installed_plugins')
    .columns(['plugin_id', 'state'])
    .execute();
  await db.schema
    .createIndex('supervisors_domain_priority_idx')
    .on('supervisors')
    .columns(['domain_id', 'priority'])
    .execute();
}

/** Drops the indexes again. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('supervisors_domain_priority_idx').execute();
  await db.schema.dropIndex('installed_plugins_plugin_state_idx').execute();
}
