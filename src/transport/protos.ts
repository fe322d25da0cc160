import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';

/** The .proto files of the API, relative to the proto directory. */
export const PROTO_FILES = [
  'spaceone/api/plugin/v1/supervisor.proto',
  'spaceone/api/plugin/v1/plugin.proto',
  'spaceone/api/core/v1/query.proto',
];

/** How both the server and the client load the protos: snake_case names, enums as strings. */
export const PROTO_LOADER_OPTIONS = {
  keepCase: true,
  enums: String,
  longs: Number,
  defaults: false,
  oneofs: false,
} as const;

const cached = new Map<string, PackageDefinition>();

/**
 * The package definition of the project's own protos (loaded once per side). The server decodes
 * requests without defaults, so that an absent field stays absent; the client decodes answers
 * with defaults, so that `false`, `0` and `''` fields appear as the documented shape has them.
 */
export function loadProtos(side: 'server' | 'client' = 'server'): PackageDefinition {
  let defs = cached.get(side);
  if (defs === undefined) {
    const options = {
      ...PROTO_LOADER_OPTIONS,
      defaults: side === 'client',
      includeDirs: [protoDir()],
    };
    defs = loadSync(PROTO_FILES, options);
    cached.set(side, defs);
  }
  return defs;
}

/** The repository's `proto/` directory, found from this module's location (src/ or dist/src/). */
export function protoDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, 'spaceone'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('proto directory not found above the transport module');
    dir = parent;
  }
}
