import { Command, Option } from 'commander';
import type { Supervisor } from '../../domain/index.js';
import { SupervisorClient } from '../../transport/client/index.js';
import {
  addClientOptions,
  type ClientContext,
  type ClientOptionValues,
} from '../client-options.js';
import {
  formatAge,
  formatDetails,
  formatJson,
  formatLabels,
  formatList,
  formatTable,
  type Column,
} from '../output.js';
import {
  addListQueryOptions,
  buildListQuery,
  collect,
  isPaged,
  parseIntegerArg,
  parseLabelArg,
  type FilterArg,
  type ListQueryArgs,
} from '../query-args.js';
import {
  clientRunner,
  PROCESS_IO,
  withClient,
  type ClientRunner,
  type CommandIo,
} from '../run-client.js';

type SupervisorRow = Partial<Supervisor>;

/** Supervisor keys whose `--filter` values are not strings. */
const TYPED_KEYS = { is_public: 'boolean', priority: 'number' } as const;

const SUPERVISOR_STATES = ['ENABLED', 'DISABLED', 'PENDING', 'DISCONNECTED'];

/** The columns of `supervisor list` and of the commands that answer one supervisor. */
export const SUPERVISOR_COLUMNS: readonly Column<SupervisorRow>[] = [
  { header: 'SUPERVISOR_ID', value: (s) => s.supervisor_id ?? '' },
  { header: 'NAME', value: (s) => s.name ?? '', maxWidth: 32 },
  { header: 'HOSTNAME', value: (s) => s.hostname ?? '', maxWidth: 40 },
  { header: 'STATE', value: (s) => s.state ?? '' },
  { header: 'PUBLIC', value: (s) => (s.is_public === true ? 'yes' : 'no') },
  { header: 'PRIORITY', value: (s) => String(s.priority ?? '') },
  { header: 'LABELS', value: (s) => formatLabels(s.labels), maxWidth: 40 },
  { header: 'LAST_SEEN', value: (s) => formatAge(s.last_seen_at) },
];

/**
 * `plugvisor supervisor list|get|register|enable|disable|deregister`: operate supervisors through
 * the Supervisor API. Every subcommand takes the client options (see client-options.ts);
 * failures set exit code 1 through `setExitCode`.
 */
export function supervisorCommand(
  setExitCode: (code: number) => void,
  io: CommandIo = PROCESS_IO,
): Command {
  const run = clientRunner(io, setExitCode);

  return new Command('supervisor')
    .description('list and operate supervisors (agents)')
    .addCommand(listCommand(run))
    .addCommand(getCommand(run))
    .addCommand(registerCommand(run))
    .addCommand(stateCommand('enable', run))
    .addCommand(stateCommand('disable', run))
    .addCommand(deregisterCommand(run));
}

interface ListOptions extends ClientOptionValues, ListQueryArgs {
  name?: string;
  state?: string;
}

interface RegisterOptions extends ClientOptionValues {
  priority?: number;
  label?: [string, string][];
  public?: boolean;
}

function listCommand(run: ClientRunner): Command {
  const command = new Command('list')
    .description('list the supervisors of the domain')
    .option('--name <name>', 'only supervisors with this name')
    .addOption(
      new Option('--state <state>', 'only supervisors in this state').choices(SUPERVISOR_STATES),
    );

  return addClientOptions(addListQueryOptions(command, TYPED_KEYS)).action((opts: ListOptions) =>
    run(opts, (ctx) => listSupervisors(ctx, opts)),
  );
}

function getCommand(run: ClientRunner): Command {
  const command = new Command('get').description('show one supervisor').argument('<supervisor_id>');

  return addClientOptions(command).action((id: string, opts: ClientOptionValues) =>
    run(opts, (ctx) =>
      withClient(ctx, SupervisorClient, async (client) => {
        const answer = await client.get({ supervisor_id: id, domain_id: ctx.domainId });
        return ctx.output === 'json' ? formatJson(answer) : supervisorDetails(answer);
      }),
    ),
  );
}

function registerCommand(run: ClientRunner): Command {
  const command = new Command('register')
    .description('accept a PENDING supervisor: it becomes ENABLED and may run plugins')
    .argument('<supervisor_id>')
    .option('--priority <n>', 'placement priority, higher first', (v) => parseIntegerArg(v, 0))
    .option(
      '--label <key=value>',
      'a label; replaces the labels it has (repeatable)',
      collect(parseLabelArg),
    )
    .option('--public', 'let it run plugins for every domain (system role only)');

  return addClientOptions(command).action((id: string, opts: RegisterOptions) =>
    run(opts, (ctx) =>
      withClient(ctx, SupervisorClient, async (client) =>
        printSupervisor(ctx, await client.register(registerRequest(ctx, id, opts))),
      ),
    ),
  );
}

function stateCommand(action: 'enable' | 'disable', run: ClientRunner): Command {
  const command = new Command(action)
    .description(
      action === 'enable'
        ? 'let a DISABLED or DISCONNECTED supervisor serve plugins again'
        : 'take a supervisor out of placement: no new instances, no endpoints handed out',
    )
    .argument('<supervisor_id>');

  return addClientOptions(command).action((id: string, opts: ClientOptionValues) =>
    run(opts, (ctx) =>
      withClient(ctx, SupervisorClient, async (client) => {
        const request = { supervisor_id: id, domain_id: ctx.domainId };
        const answer = await (action === 'enable'
          ? client.enable(request)
          : client.disable(request));
        return printSupervisor(ctx, answer);
      }),
    ),
  );
}

function deregisterCommand(run: ClientRunner): Command {
  const command = new Command('deregister')
    .description('delete a supervisor (refused while installed plugins still reference it)')
    .argument('<supervisor_id>');

  return addClientOptions(command).action((id: string, opts: ClientOptionValues) =>
    run(opts, (ctx) =>
      withClient(ctx, SupervisorClient, async (client) => {
        await client.deregister({ supervisor_id: id, domain_id: ctx.domainId });
        return ctx.output === 'json' ? formatJson({}) : `Supervisor ${id} deregistered.\n`;
      }),
    ),
  );
}

async function listSupervisors(ctx: ClientContext, opts: ListOptions): Promise<string> {
  const stateFilter: FilterArg[] =
    opts.state === undefined ? [] : [{ k: 'state', v: opts.state, o: 'eq' }];
  const query = buildListQuery(opts, stateFilter);
  const request = {
    domain_id: ctx.domainId,
    ...(opts.name !== undefined && { name: opts.name }),
    ...(query !== undefined && { query }),
  };

  return withClient(ctx, SupervisorClient, async (client) => {
    const answer = await client.list(request);
    if (ctx.output === 'json') return formatJson(answer);
    return formatList(SUPERVISOR_COLUMNS, answer.results, {
      empty: 'No supervisors.',
      ...(isPaged(opts) && { total: answer.total_count }),
    });
  });
}

function registerRequest(
  ctx: ClientContext,
  id: string,
  opts: RegisterOptions,
): Record<string, unknown> {
  return {
    supervisor_id: id,
    domain_id: ctx.domainId,
    ...(opts.priority !== undefined && { priority: opts.priority }),
    ...(opts.label !== undefined && { labels: Object.fromEntries(opts.label) }),
    ...(opts.public === true && { is_public: true }),
  };
}

function printSupervisor(ctx: ClientContext, supervisor: SupervisorRow): string {
  return ctx.output === 'json'
    ? formatJson(supervisor)
    : formatTable(SUPERVISOR_COLUMNS, [supervisor]);
}

function supervisorDetails(s: SupervisorRow): string {
  return formatDetails([
    ['supervisor_id', s.supervisor_id ?? ''],
    ['name', s.name ?? ''],
    ['hostname', s.hostname ?? ''],
    ['state', s.state ?? ''],
    ['is_public', String(s.is_public ?? false)],
    ['priority', String(s.priority ?? '')],
    ['domain_id', s.domain_id ?? ''],
    ['labels', formatLabels(s.labels)],
    ['tags', formatLabels(s.tags)],
    ['created_at', s.created_at ?? ''],
    ['updated_at', s.updated_at ?? ''],
    ['last_seen_at', withAge(s.last_seen_at)],
  ]);
}

function withAge(iso: string | undefined): string {
  return iso === undefined || iso === '' ? '' : `${iso} (${formatAge(iso)})`;
}
