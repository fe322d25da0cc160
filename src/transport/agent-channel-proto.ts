import { join } from 'node:path';

import { loadSync, type PackageDefinition } from '@grpc/proto-loader';

import { PROTO_LOADER_OPTIONS, protoDir } from './protos.js';

/** Full name of Plugvisor's agent channel service (not part of SpaceONE's API). */
export const AGENT_CHANNEL_SERVICE = 'plugvisor.v1.AgentChannel';

/** The agent channel's proto file, relative to the proto directory. */
export const AGENT_CHANNEL_PROTO = 'plugvisor/v1/agent.proto';

let cached: PackageDefinition | undefined;

/** The package definition of `proto/plugvisor/v1/agent.proto` (server and client load it alike). */
export function loadAgentChannelProto(): PackageDefinition {
  cached ??= loadSync(join(protoDir(), AGENT_CHANNEL_PROTO), {
    ...PROTO_LOADER_OPTIONS,
    defaults: true,
    includeDirs: [protoDir()],
  });
  return cached;
}
