export * from './errors.js';
export * from './supervisor.js';
export * from './installed-plugin.js';
export * from './ids.js';
export * from './time.js';
export * from './duration.js';
export * from './liveness.js';
