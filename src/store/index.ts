export { openStore, type Store, type DialectName } from './db.js';
export type * from './schema.js';
export {
  supervisorResource,
  supervisorSource,
  installedPluginResource,
  installedPluginSource,
} from './resources.js';
export {
  SupervisorRepository,
  toSupervisor,
  type SupervisorRecord,
  type SupervisorPatch,
} from './supervisor-repository.js';
export {
  InstalledPluginRepository,
  type InstanceReport,
  type InstanceKey,
  type NewInstalledPlugin,
} from './installed-plugin-repository.js';
export { runFragment } from './raw-query.js';
