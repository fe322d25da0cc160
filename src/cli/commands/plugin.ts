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
  buildListQuery,
  collect,
  isPaged,
  parseFilterArg,
  parseIntegerArg,
  parseLabelArg,
  parseSortArg,
  type ListQueryArgs,
} from '../query-args.js';
import { PROCESS_IO, runClientCommand, withClient, type CommandIo } from '../run-client.js';

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
  const group = new Command('plugin').description('installed plugins and their endpoints');
  const run = (opts: ClientOptionValues, work: (ctx: ClientContext) => Promise<string>) =>
    runClientCommand(opts, io, setExitCode, work);

  addClientOptions(
    group
      .command('list')
      .description('list the installed plugins (instances) the domain sees')
      .option('--supervisor-id <id>', 'only instances on this supervisor')
      .option('--plugin-id <id>', 'only instances of this plugin')
      .addOption(
        new Option('--state <state>', 'only instances in this state').choices(PLUGIN_STATES),
      )
      .option(
        '--filter <key=value>',
        'a query condition (repeatable; also != ~ > >= < <=)',
        collect((v) => parseFilterArg(v, TYPED_KEYS)),
      )
      .option('--sort <key|-key>', 'sort by a key, -key for descending', parseSortArg)
      .option('--page <n>', 'page number, from 1', (v) => parseIntegerArg(v, 1))
      .option('--limit <n>', 'rows per page', (v) => parseIntegerArg(v, 1)),
  ).action((opts: ListOptions) => run(opts, (ctx) => listPlugins(ctx, opts)));

  addClientOptions(
    group
      .command('endpoint')
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
      ),
    ENDPOINT_TIMEOUT_SECONDS,
  ).action((pluginId: string, opts: EndpointOptions) =>
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

  addClientOptions(
    group
      .command('recover')
      .description(
        'recreate an installed plugin: it moves to RE_PROVISIONING and its agent redeploys it',
      )
      .argument('<supervisor_id>')
      .argument('<plugin_id>')
      .argument('<version>'),
  ).action((supervisorId: string, pluginId: string, version: string, opts: ClientOptionValues) =>
    run(opts, (ctx) =>
      withClient(ctx, SupervisorClient, async (client) => {
        const answer = await client.recoverPlugin({
          supervisor_id: supervisorId,
          plugin_id: pluginId,
          version,
          domain_id: ctx.domainId,
        });
        return ctx.output === 'json' ? formatJson(answer) : formatTable(PLUGIN_COLUMNS, [answer]);
      }),
    ),
  );

  return group;
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
