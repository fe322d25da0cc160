/**
 * Tenancy as the services apply it. The rules live in `src/auth/policy.ts` (pure functions with
 * their own tests); this module is the services' single import of them.
 */
export {
  assertMayCall,
  assertMayManage,
  assertMayPublishAs,
  assertMaySee,
  assertMaySetPublic,
  effectiveDomain,
  pluginScope,
  type ApiMethod,
} from '../auth/policy.js';
