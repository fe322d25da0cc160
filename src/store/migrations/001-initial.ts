import type { Kysely } from 'kysely';

/** Supervisors, installed plugins and the domains that use each installed plugin. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('supervisors')
    .addColumn('supervisor_id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('hostname', 'text', (c) => c.notNull())
    .addColumn('domain_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('is_public', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(10))
    .addColumn('labels', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('tags', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('secret_hash', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('registered', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('supervisors_domain_hostname_key', ['domain_id', 'hostname'])
    .execute();
  await db.schema
    .createIndex('supervisors_domain_state_idx')
    .on('supervisors')
    .columns(['domain_id', 'state'])
    .execute();
  await db.schema
    .createIndex('supervisors_domain_name_idx')
    .on('supervisors')
    .columns(['domain_id', 'name'])
    .execute();
  await db.schema
    .createIndex('supervisors_public_state_idx')
    .on('supervisors')
    .columns(['is_public', 'state'])
    .execute();

  await db.schema
    .createTable('installed_plugins')
    .addColumn('supervisor_id', 'text', (c) => c.notNull().references('supervisors.supervisor_id'))
    .addColumn('plugin_id', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('endpoint', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('endpoints', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('managed', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('domain_id', 'text', (c) => c.notNull())
    .addColumn('error_message', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('rr_counter', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('endpoint_called_at', 'text')
    .addPrimaryKeyConstraint('installed_plugins_pkey', ['supervisor_id', 'plugin_id', 'version'])
    .execute();
  for (const columns of [
    ['plugin_id', 'version'],
    ['domain_id'],
    ['state'],
    ['endpoint_called_at'],
  ]) {
    await db.schema
      .createIndex(`installed_plugins_${columns.join('_')}_idx`)
      .on('installed_plugins')
      .columns(columns)
      .execute();
  }

  await db.schema
    .createTable('installed_plugin_domains')
    .addColumn('supervisor_id', 'text', (c) => c.notNull())
    .addColumn('plugin_id', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('domain_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('endpoint_called_at', 'text')
    .addPrimaryKeyConstraint('installed_plugin_domains_pkey', [
      'supervisor_id',
      'plugin_id',
      'version',
      'domain_id',
    ])
    .execute();
  await db.schema
    .createIndex('installed_plugin_domains_domain_idx')
    .on('installed_plugin_domains')
    .columns(['domain_id', 'plugin_id', 'version'])
    .execute();
}
