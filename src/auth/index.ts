export * from './keys.js';
export * from './tokens.js';
export * from './authenticator.js';
export * from './policy.js';
export * from './local-token.js';
export * from './redact.js';
export * from './secret-hash.js';
