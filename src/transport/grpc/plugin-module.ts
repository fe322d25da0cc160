import type { Server } from '@grpc/grpc-js';
import type { Services } from '../../service/index.js';
import type { GrpcModule } from './server.js';
import { addUnaryService, type HandlerContext, type UnaryUseCase } from './unary.js';

const SERVICE = 'spaceone.api.plugin.v1.Plugin';

/**
 * The `spaceone.api.plugin.v1.Plugin` service over gRPC: get_plugin_endpoint (which may wait for
 * an instance; a cancelled call stops waiting) and notify_failure.
 */
export const pluginGrpcModule: GrpcModule = {
  serviceNames: [SERVICE],
  register(server: Server, services: Services, ctx: HandlerContext): void {
    const p = services.plugins;
    const useCases: Record<string, UnaryUseCase> = {
      get_plugin_endpoint: (c, r, signal) => p.getPluginEndpoint(c, r, signal),
      notify_failure: async (c, r) => {
        await p.notifyFailure(c, r);
        return {};
      },
    };

    addUnaryService(server, ctx, SERVICE, useCases);
  },
};
