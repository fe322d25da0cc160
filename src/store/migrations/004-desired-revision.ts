import type { Kysely } from 'kysely';

/**
 * `installed_plugins.desired_revision` (issue #5): a counter the control plane bumps whenever it
 * changes what the agent must do with an instance (recover_plugin, notify_failure, an
 * install timeout, a get_plugin_endpoint recovery). Agents echo it in `publish.plugin_info`, and
 * a report carrying an older revision is ignored, so a publish already in flight cannot undo a
 * recovery. Existing instances start at 1, as new ones do.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('installed_plugins')
    .addColumn('desired_revision', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
}

/** Drops the column again. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('installed_plugins').dropColumn('desired_revision').execute();
}
