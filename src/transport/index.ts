export { STATUS_BY_KIND, toWireError, grpcDetails, type WireError } from './errors.js';
export {
  messageToJson,
  jsonToMessage,
  structToJson,
  jsonToStruct,
  valueToJson,
  jsonToValue,
} from './proto-json.js';
export { loadProtos, protoDir, PROTO_FILES } from './protos.js';
export {
  startGrpcServer,
  DEFAULT_GRPC_MODULES,
  type GrpcModule,
  type GrpcServerOptions,
  type RunningGrpcServer,
} from './grpc/server.js';
export {
  buildRestServer,
  DEFAULT_REST_MODULES,
  type RestModule,
  type RestServerOptions,
} from './rest/server.js';
