import {
  Metadata,
  status,
  type Server,
  type ServerWritableStream,
  type ServiceDefinition,
} from '@grpc/grpc-js';

import { InvalidParameterError, PlugvisorError } from '../../domain/index.js';
import type { Caller, Services } from '../../service/index.js';
import { STATUS_BY_KIND, grpcDetails } from '../errors.js';
import { AGENT_CHANNEL_SERVICE, loadAgentChannelProto } from '../agent-channel-proto.js';
import { callerFrom } from './caller.js';
import type { GrpcModule } from './server.js';
import { isUndecodable, withTolerantDecoders, type HandlerContext } from './unary.js';

interface WatchRequest {
  supervisor_id?: string;
  domain_id?: string;
}

interface DesiredChanged {
  supervisor_id: string;
  changed_at: string;
}

/**
 * `plugvisor.v1.AgentChannel/watch` over gRPC: streams one DesiredChanged when the stream opens
 * and one whenever `events.onDesiredChanged(supervisor_id)` fires, until the agent cancels. The
 * caller must be allowed to watch the supervisor (`SupervisorService.watchable`: an agent token
 * only its own), else the stream fails with NOT_FOUND, as for a missing one.
 */
export const agentChannelGrpcModule: GrpcModule = {
  serviceNames: [AGENT_CHANNEL_SERVICE],
  register(server: Server, services: Services, ctx: HandlerContext): void {
    const definition = withTolerantDecoders(
      loadAgentChannelProto()[AGENT_CHANNEL_SERVICE] as ServiceDefinition,
    );
    const open = new Set<WatchCall>();
    openWatches.set(server, open);
    server.addService(definition, {
      watch: (call: WatchCall) => {
        open.add(call);
        call.once('close', () => open.delete(call));
        void serveWatch(call, services, ctx);
      },
    });
  },
  closing(server: Server): void {
    // Agents re-open their stream (on another replica, or on this one once it is back).
    for (const call of openWatches.get(server) ?? []) call.end();
    openWatches.delete(server);
  },
};

type WatchCall = ServerWritableStream<WatchRequest, DesiredChanged>;

/** The open watch streams of each server, ended when it shuts down. */
const openWatches = new WeakMap<Server, Set<WatchCall>>();

async function serveWatch(call: WatchCall, services: Services, ctx: HandlerContext): Promise<void> {
  const log = services.logger;
  const supervisorId = call.request.supervisor_id ?? '';
  let caller: Caller | undefined;
  try {
    caller = await callerFrom(ctx.authenticator, call.metadata);
    if (isUndecodable(call.request)) {
      throw new InvalidParameterError('request', 'not a valid plugvisor.v1.WatchRequest message');
    }
    await services.supervisors.watchable(caller, {
      supervisor_id: supervisorId,
      domain_id: call.request.domain_id === '' ? undefined : call.request.domain_id,
    });
  } catch (err) {
    call.emit('error', toStatus(err, log, caller?.requestId));
    return;
  }

  const send = () => {
    call.write({ supervisor_id: supervisorId, changed_at: new Date().toISOString() });
  };
  const unsubscribe = services.events.onDesiredChanged(supervisorId, send);
  const end = () => unsubscribe();
  call.once('cancelled', end);
  call.once('close', end);
  call.once('error', end);
  log.debug({ supervisorId, requestId: caller.requestId }, 'Agent watching desired changes');
  send();
}

function toStatus(err: unknown, log: Services['logger'], requestId = 'unknown') {
  const metadata = new Metadata();
  metadata.set('x-request-id', requestId);
  if (err instanceof PlugvisorError && err.kind !== 'INTERNAL') {
    return { code: STATUS_BY_KIND[err.kind].grpc, details: grpcDetails(err), metadata };
  }
  log.error({ err, requestId, method: `/${AGENT_CHANNEL_SERVICE}/watch` }, 'gRPC request failed');
  return {
    code: status.INTERNAL,
    details: grpcDetails({
      code: 'ERROR_INTERNAL_API',
      message: `internal error (request_id = ${requestId})`,
    }),
    metadata,
  };
}
