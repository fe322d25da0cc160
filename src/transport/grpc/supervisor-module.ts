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

const SERVICE = 'spaceone.api.plugin.v1.Supervisor';

/** The `spaceone.api.plugin.v1.Supervisor` service over gRPC. */
export const supervisorGrpcModule: GrpcModule = {
  serviceNames: [SERVICE],
  register(server: Server, services: Services, ctx: HandlerContext): void {
    const definition = ctx.defs[SERVICE] as LoadedService;
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
