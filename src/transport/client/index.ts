export { ApiError } from './api-error.js';
export { SupervisorClient, type ClientOptions, type ListAnswer } from './supervisor-client.js';
export { AgentChannelClient, type WatchStream } from './agent-channel-client.js';
export { PluginClient, type PluginEndpointAnswer } from './plugin-client.js';
