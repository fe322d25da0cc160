import type { Server, ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { ServiceDefinition as LoadedService } from '@grpc/proto-loader';
import type { Services } from '../../service/index.js';
import { messageName } from '../proto-json.js';
import type { GrpcModule } from './server.js';
import {
  unaryHandler,
  withTolerantDecoders,
  type HandlerContext,
  type UnaryUseCase,
} from './unary.js';

const SERVICE = 'spaceone.api.plugin.v1.Plugin';

/**
 * The `spaceone.api.plugin.v1.Plugin` service over gRPC: get_plugin_endpoint (which may wait for
 * an instance; a cancelled call stops waiting) and notify_failure.
 */
export const pluginGrpcModule: GrpcModule = {
  serviceNames: [SERVICE],
  register(server: Server, services: Services, ctx: HandlerContext): void {
    const definition = ctx.defs[SERVICE] as LoadedService;
    const p = services.plugins;
    const useCases: Record<string, UnaryUseCase> = {
      get_plugin_endpoint: (c, r, signal) => p.getPluginEndpoint(c, r, signal),
      notify_failure: async (c, r) => {
        await p.notifyFailure(c, r);
        return {};
      },
    };

    const implementation: UntypedServiceImplementation = {};
    for (const [name, method] of Object.entries(definition)) {
      const useCase = useCases[name];
      if (useCase === undefined) throw new Error(`no handler for ${SERVICE}/${name}`);
      implementation[name] = unaryHandler(
        ctx,
        {
          path: method.path,
          requestType: messageName(ctx.defs, method.requestType),
          responseType: messageName(ctx.defs, method.responseType),
        },
        useCase,
      );
    }
    server.addService(withTolerantDecoders(definition) as ServiceDefinition, implementation);
  },
};
