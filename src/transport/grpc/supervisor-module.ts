import type { Server } from '@grpc/grpc-js';
import type { Services } from '../../service/index.js';
import type { GrpcModule } from './server.js';
import { addUnaryService, type HandlerContext, type UnaryUseCase } from './unary.js';

const SERVICE = 'spaceone.api.plugin.v1.Supervisor';

/** The `spaceone.api.plugin.v1.Supervisor` service over gRPC. */
export const supervisorGrpcModule: GrpcModule = {
  serviceNames: [SERVICE],
  register(server: Server, services: Services, ctx: HandlerContext): void {
    const s = services.supervisors;
    const useCases: Record<string, UnaryUseCase> = {
      publish: (c, r) => s.publish(c, r),
      register: (c, r) => s.register(c, r),
      update: (c, r) => s.update(c, r),
      deregister: async (c, r) => {
        await s.deregister(c, r);
        return {};
      },
      enable: (c, r) => s.enable(c, r),
      disable: (c, r) => s.disable(c, r),
      recover_plugin: (c, r) => s.recoverPlugin(c, r),
      get: (c, r) => s.get(c, r),
      list: (c, r) => s.list(c, r),
      stat: (c, r) => s.stat(c, r),
      list_plugins: (c, r) => s.listPlugins(c, r),
    };
    addUnaryService(server, ctx, SERVICE, useCases);
  },
};
