export {
  loadServeConfig,
  ConfigError,
  SERVE_ENV,
  SERVE_DEFAULTS,
  type ServeConfig,
  type ServeSettings,
} from './serve-config.js';
