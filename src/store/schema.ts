import type { Generated } from 'kysely';

/**
 * Table types of the store, as Kysely sees them. JSON columns (labels, tags, endpoints) hold JSON
 * text; booleans are 0/1 integers; times are ISO 8601 UTC text with milliseconds, which sorts and
 * compares correctly as text in every dialect we support.
 */

export interface SupervisorsTable {
  supervisor_id: string;
  name: string;
  hostname: string;
  domain_id: string;
  state: string;
  is_public: number;
  priority: number;
  labels: string;
  tags: string;
  /** scrypt hash of the agent's secret key, or '' when the supervisor was published without one. */
  secret_hash: string;
  /** 1 once an operator has registered (accepted) the supervisor. */
  registered: number;
  created_at: string;
  updated_at: string;
  last_seen_at: string;
}

export interface InstalledPluginsTable {
  supervisor_id: string;
  plugin_id: string;
  version: string;
  state: string;
  endpoint: string;
  /** JSON array of endpoint strings, sorted. */
  endpoints: string;
  managed: number;
  /** The domain that first asked for this instance. */
  domain_id: string;
  error_message: string;
  /** Round-robin position over `endpoints`; incremented atomically on every hand-out. */
  rr_counter: number;
  created_at: string;
  updated_at: string;
  /** Last time any domain was handed this instance's endpoint, or null if never. */
  endpoint_called_at: string | null;
  /**
   * Bumped by every control-plane decision that changes what the agent must do (1 at creation);
   * agent reports count only when they carry the current value (see docs/plugins.md).
   */
  desired_revision: Generated<number>;
}

/** Which domains use an instance (an instance on a public supervisor may serve several). */
export interface InstalledPluginDomainsTable {
  supervisor_id: string;
  plugin_id: string;
  version: string;
  domain_id: string;
  created_at: string;
  endpoint_called_at: string | null;
}

/**
 * Which supervisor's instance serves get_plugin_endpoint requests of one (domain, plugin_id,
 * version, labels); the primary key is what makes concurrent first requests create one instance.
 */
export interface InstanceClaimsTable {
  /** sha256 of the canonical (domain_id, plugin_id, version, labels). */
  claim_key: string;
  domain_id: string;
  plugin_id: string;
  version: string;
  /** The requested labels as canonical JSON (keys sorted). */
  labels: string;
  supervisor_id: string;
  /** Incremented whenever the claim moves to another supervisor (compare-and-swap). */
  generation: number;
  created_at: string;
  updated_at: string;
}

export interface Database {
  supervisors: SupervisorsTable;
  installed_plugins: InstalledPluginsTable;
  installed_plugin_domains: InstalledPluginDomainsTable;
  instance_claims: InstanceClaimsTable;
}
