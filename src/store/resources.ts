import type { ResourceSchema, SqlFragment } from '../query/index.js';

/**
 * What `list`, `stat` and `keyword` may touch on supervisors (SPEC §4). Columns are those of the
 * `supervisors` table; secret_hash and registered are deliberately absent.
 */
export const supervisorResource: ResourceSchema = {
  name: 'supervisor',
  fields: {
    supervisor_id: { column: 'supervisor_id', type: 'string' },
    name: { column: 'name', type: 'string' },
    hostname: { column: 'hostname', type: 'string' },
    state: { column: 'state', type: 'string' },
    is_public: { column: 'is_public', type: 'boolean' },
    priority: { column: 'priority', type: 'integer' },
    domain_id: { column: 'domain_id', type: 'string' },
    created_at: { column: 'created_at', type: 'datetime' },
    updated_at: { column: 'updated_at', type: 'datetime' },
    last_seen_at: { column: 'last_seen_at', type: 'datetime' },
  },
  jsonFields: { tags: 'tags', labels: 'labels' },
  keywordFields: ['supervisor_id', 'name', 'hostname'],
  tiebreak: ['supervisor_id'],
  minimalFields: ['supervisor_id', 'name', 'hostname', 'state', 'is_public', 'domain_id'],
};

/** The SQL source for supervisor queries of one domain. */
export function supervisorSource(domainId: string): SqlFragment {
  return { sql: '(SELECT * FROM supervisors WHERE domain_id = ?) AS s', params: [domainId] };
}

/**
 * What `list_plugins` may touch on installed plugins (SPEC §4). `hostname` and `supervisor_name`
 * come from the supervisor the instance runs on.
 */
export const installedPluginResource: ResourceSchema = {
  name: 'installed plugin',
  fields: {
    plugin_id: { column: 'plugin_id', type: 'string' },
    version: { column: 'version', type: 'string' },
    state: { column: 'state', type: 'string' },
    endpoint: { column: 'endpoint', type: 'string' },
    endpoints: { column: 'endpoints', type: 'string_list' },
    supervisor_id: { column: 'supervisor_id', type: 'string' },
    supervisor_name: { column: 'supervisor_name', type: 'string' },
    hostname: { column: 'hostname', type: 'string' },
    managed: { column: 'managed', type: 'boolean' },
    domain_id: { column: 'domain_id', type: 'string' },
    created_at: { column: 'created_at', type: 'datetime' },
    updated_at: { column: 'updated_at', type: 'datetime' },
    endpoint_called_at: { column: 'endpoint_called_at', type: 'datetime' },
    revision: { column: 'revision', type: 'integer' },
  },
  jsonFields: {},
  keywordFields: ['supervisor_id', 'hostname', 'plugin_id'],
  tiebreak: ['supervisor_id', 'plugin_id', 'version'],
  minimalFields: ['plugin_id', 'version', 'state', 'endpoint', 'supervisor_id'],
};

/**
 * The SQL source for installed-plugin queries as `domainId` sees them: every instance on the
 * domain's own supervisors, and every instance (on a public supervisor) that the domain asked
 * for. Each instance appears once; `domain_id` is the viewing domain where it asked for the
 * instance, else the domain that first asked.
 */
export function installedPluginSource(domainId: string): SqlFragment {
  return {
    sql: `(SELECT ip.supervisor_id, ip.plugin_id, ip.version, ip.state, ip.endpoint, ip.endpoints,
        ip.managed, COALESCE(u.domain_id, ip.domain_id) AS domain_id, ip.error_message,
        ip.created_at, ip.updated_at, ip.endpoint_called_at, ip.desired_revision AS revision,
        s.name AS supervisor_name, s.hostname AS hostname
      FROM installed_plugins ip
      JOIN supervisors s ON s.supervisor_id = ip.supervisor_id
      LEFT JOIN installed_plugin_domains u ON u.supervisor_id = ip.supervisor_id
        AND u.plugin_id = ip.plugin_id AND u.version = ip.version AND u.domain_id = ?
      WHERE s.domain_id = ? OR u.domain_id IS NOT NULL) AS p`,
    params: [domainId, domainId],
  };
}
