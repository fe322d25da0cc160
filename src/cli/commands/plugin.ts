import { Command, Option } from 'commander';
import type { InstalledPlugin } from '../../domain/index.js';
import { PluginClient, SupervisorClient } from '../../transport/client/index.js';
import {
  addClientOptions,
  type ClientContext,
  type ClientOptionValues,
} from '../client-options.js';
import { formatJson, formatList, formatTable, type Column } from '../output.js';
import {
  addListQueryOptions,
  buildListQuery,
  collect,
  isPaged,
  parseLabelArg,
  type ListQueryArgs,
} from '../query-args.js';
import {
  clientRunner,
  PROCESS_IO,
  withClient,
  type ClientRunner,
  type CommandIo,
} from '../run-client.js';

type PluginRow = Partial<InstalledPlugin>;

/** Installed-plugin keys whose `--filter` values are not strings. */
const TYPED_KEYS = { managed: 'boolean' } as const;

const PLUGIN_STATES = ['PROVISIONING', 'ACTIVE', 'RE_PROVISIONING', 'ERROR'];

/**
 * get_plugin_endpoint may wait for a cold start (the server bounds it, 150 s by default), so
 * `plugin endpoint` waits a little longer than that by default.
 */
const ENDPOINT_TIMEOUT_SECONDS = 180;

/** The columns of `plugin list` and `plugin recover`. */
export const PLUGIN_COLUMNS: readonly Column<PluginRow>[] = [
  { header: 'PLUGIN_ID', value: (p) => p.plugin_id ?? '' },
  { header: 'VERSION', value: (p) => p.version ?? '' },
  { header: 'STATE', value: (p) => p.state ?? '' },
  { header: 'ENDPOINT', value: (p) => p.endpoint ?? '', maxWidth: 48 },
  { header: 'SUPERVISOR', value: (p) => p.supervisor_id ?? '' },
  { header: 'DOMAIN', value: (p) => p.domain_id ?? '' },
  { header: 'ERROR', value: (p) => p.error_message ?? '', maxWidth: 60 },
];

/**
 * `plugvisor plugin list|endpoint|recover`: installed plugins through the Supervisor API
 * (list_plugins, recover_plugin) and endpoints through the Plugin API (get_plugin_endpoint).
 */
export function pluginCommand(
  setExitCode: (code: number) => void,
  io: CommandIo = PROCESS_IO,
): Command {
  const run = clientRunner(io, setExitCode);

  return new Command('plugin')
    .description('installed plugins and their endpoints')
    .addCommand(listCommand(run))
    .addCommand(endpointCommand(run))
    .addCommand(recoverCommand(run));
}

function listCommand(run: ClientRunner): Command {
  const command = new Command('list')
    .description('list the installed plugins (instances) the domain sees')
    .option('--supervisor-id <id>', 'only instances on this supervisor')
    .option('--plugin-id <id>', 'only instances of this plugin')
    .addOption(
      new Option('--state <state>', 'only instances in this state').choices(PLUGIN_STATES),
    );

  return addClientOptions(addListQueryOptions(command, TYPED_KEYS)).action((opts: ListOptions) =>
    run(opts, (ctx) => listPlugins(ctx, opts)),
  );
}

function endpointCommand(run: ClientRunner): Command {
  const command = new Command('endpoint')
    .description('get the endpoint of a plugin, deploying an instance if none runs yet')
    .argument('<plugin_id>')
    .option('--version <version>', 'the version (default: the newest in the catalog)')
    .option(
      '--label <key=value>',
      'a label the supervisor must have (repeatable)',
      collect(parseLabelArg),
    )
    .addOption(
      new Option(
        '--upgrade-mode <mode>',
        'AUTO resolves the newest version (default AUTO without --version, MANUAL with one)',
      ).choices(['AUTO', 'MANUAL']),
    );

  return addClientOptions(command, ENDPOINT_TIMEOUT_SECONDS).action(
    (pluginId: string, opts: EndpointOptions) =>
      run(opts, (ctx) =>
        withClient(ctx, PluginClient, async (client) => {
          const answer = await client.getPluginEndpoint(endpointRequest(ctx, pluginId, opts));
          if (ctx.output === 'json') return formatJson(answer);
          const updated =
            answer.updated_version === '' ? '' : `updated_version: ${answer.updated_version}\n`;
          return `${answer.endpoint}\n${updated}`;
        }),
      ),
  );
}

function recoverCommand(run: ClientRunner): Command {
  const command = new Command('recover')
    .description(
      'recreate an installed plugin: it moves to RE_PROVISIONING and its agent redeploys it',
    )
    .argument('<supervisor_id>')
    .argument('<plugin_id>')
    .argument('<version>');

  return addClientOptions(command).action(
    (supervisorId: string, pluginId: string, version: string, opts: ClientOptionValues) =>
      run(opts, (ctx) =>
        withClient(ctx, SupervisorClient, async (client) => {
          const key = { supervisor_id: supervisorId, plugin_id: pluginId, version };
          const answer = await client.recoverPlugin({ ...key, domain_id: ctx.domainId });
          return ctx.output === 'json' ? formatJson(answer) : formatTable(PLUGIN_COLUMNS, [answer]);
        }),
      ),
  );
}

interface ListOptions extends ClientOptionValues, ListQueryArgs {
  supervisorId?: string;
  pluginId?: string;
  state?: string;
}

interface EndpointOptions extends ClientOptionValues {
  version?: string;
  label?: [string, string][];
  upgradeMode?: 'AUTO' | 'MANUAL';
}

async function listPlugins(ctx: ClientContext, opts: ListOptions): Promise<string> {
  const query = buildListQuery(opts);
  const request = {
    domain_id: ctx.domainId,
    ...(opts.supervisorId !== undefined && { supervisor_id: opts.supervisorId }),
    ...(opts.pluginId !== undefined && { plugin_id: opts.pluginId }),
    ...(opts.state !== undefined && { state: opts.state }),
    ...(query !== undefined && { query }),
  };

  return withClient(ctx, SupervisorClient, async (client) => {
    const answer = await client.listPlugins(request);
    if (ctx.output === 'json') return formatJson(answer);
    return formatList(PLUGIN_COLUMNS, answer.results, {
      empty: 'No installed plugins.',
      ...(isPaged(opts) && { total: answer.total_count }),
    });
  });
}

function endpointRequest(
  ctx: ClientContext,
  pluginId: string,
  opts: EndpointOptions,
): Record<string, unknown> {
  return {
    plugin_id: pluginId,
    domain_id: ctx.domainId,
    upgrade_mode: opts.upgradeMode ?? (opts.version === undefined ? 'AUTO' : 'MANUAL'),
    ...(opts.version !== undefined && { version: opts.version }),
    ...(opts.label !== undefined && { labels: Object.fromEntries(opts.label) }),
  };
}
