import { Command, InvalidArgumentError, Option } from 'commander';
import {
  DEFAULT_TOKEN_TTL,
  loadOrCreateKeys,
  mintToken,
  ROLES,
  type TokenClaims,
} from '../../auth/index.js';

type Role = TokenClaims['role'];

/** Role spellings accepted by `--role`, besides the role names themselves. */
const ROLE_ALIASES: Record<string, Role> = {
  system: 'SYSTEM',
  admin: 'DOMAIN_ADMIN',
  domain_admin: 'DOMAIN_ADMIN',
  'domain-admin': 'DOMAIN_ADMIN',
  supervisor: 'SUPERVISOR',
  agent: 'SUPERVISOR',
};

/**
 * The data dir client and server commands default to: `$PLUGVISOR_DATA_DIR`, else `./.plugvisor`
 * (as `serve` and `up`).
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.PLUGVISOR_DATA_DIR;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : './.plugvisor';
}

/**
 * `plugvisor token create --role … [--domain-id …] [--supervisor-name …] [--expires-in …]`:
 * mints a token with the server's signing key (read from `--data-dir`, or `--signing-key-file`
 * when the server is configured with one) and prints it on stdout, nothing else.
 */
export function tokenCommand(
  output: (text: string) => void = (t) => process.stdout.write(t),
): Command {
  const token = new Command('token').description('mint access tokens with the server key');

  token
    .command('create')
    .description('mint a signed token for a role; printed on stdout')
    .addOption(
      new Option('--role <role>', 'system | domain_admin | supervisor')
        .argParser(parseRole)
        .makeOptionMandatory(),
    )
    .option('--domain-id <id>', 'the domain (required for domain_admin and supervisor)')
    .option('--supervisor-name <name>', 'the supervisor an agent may act as (supervisor role)')
    .option('--expires-in <duration>', 'lifetime: 90s, 15m, 12h, 30d, 2w', DEFAULT_TOKEN_TTL)
    .option('--data-dir <dir>', 'the server data dir holding keys/', defaultDataDir())
    .option(
      '--signing-key-file <pem>',
      "the server's configured signing key, if not in the data dir",
    )
    .action(async (opts: TokenCreateOptions) => {
      const keys = await loadOrCreateKeys(opts.dataDir, keyOptions(opts));
      const minted = await mintToken(
        keys,
        {
          role: opts.role,
          ...(opts.domainId !== undefined && { domainId: opts.domainId }),
          ...(opts.supervisorName !== undefined && { supervisorName: opts.supervisorName }),
        },
        { expiresIn: opts.expiresIn },
      );
      output(`${minted}\n`);
    });

  return token;
}

interface TokenCreateOptions {
  role: Role;
  domainId?: string;
  supervisorName?: string;
  expiresIn: string;
  dataDir: string;
  signingKeyFile?: string;
}

function keyOptions(opts: TokenCreateOptions) {
  return opts.signingKeyFile === undefined ? {} : { signingKeyFile: opts.signingKeyFile };
}

function parseRole(value: string): Role {
  const role =
    ROLE_ALIASES[value.toLowerCase()] ??
    (ROLES.includes(value as Role) ? (value as Role) : undefined);
  if (role === undefined)
    throw new InvalidArgumentError('expected system, domain_admin or supervisor');
  return role;
}
