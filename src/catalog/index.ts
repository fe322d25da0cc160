export * from './catalog.js';
export * from './load-catalog.js';
