export { ApiError } from './api-error.js';
export { UnaryClient, type CallOptions, type ClientOptions } from './unary-client.js';
export { SupervisorClient, type ListAnswer } from './supervisor-client.js';
export { PluginClient, type PluginEndpointAnswer } from './plugin-client.js';
export { AgentChannelClient, type WatchStream } from './agent-channel-client.js';
