import { z } from 'zod';
import type { JsonObject } from '../domain/index.js';

/** Longest id or version a Plugin request may carry. */
const MAX_TEXT_LENGTH = 255;

const requiredText = z.string().min(1).max(MAX_TEXT_LENGTH);
const optionalText = z
  .string()
  .max(MAX_TEXT_LENGTH)
  .nullish()
  .transform((v) => (v === null || v === undefined || v === '' ? undefined : v));
const labels = z
  .record(z.string(), z.json())
  .nullish()
  .transform((v) => (v ?? {}) as JsonObject);
const upgradeMode = z
  .union([z.enum(['MANUAL', 'AUTO']), z.literal(0), z.literal(1)])
  .nullish()
  .transform((v) => (v === 'AUTO' || v === 1 ? 'AUTO' : 'MANUAL'));

/** Request shapes of the Plugin API (`spaceone.api.plugin.v1.Plugin`), shared by both transports. */
export const pluginRequests = {
  getPluginEndpoint: z.object({
    plugin_id: requiredText,
    version: optionalText,
    labels,
    domain_id: optionalText,
    upgrade_mode: upgradeMode,
  }),
  notifyFailure: z.object({
    supervisor_id: requiredText,
    plugin_id: requiredText,
    version: requiredText,
    domain_id: optionalText,
  }),
};

export type PluginEndpointRequest = z.output<typeof pluginRequests.getPluginEndpoint>;
export type PluginFailureRequest = z.output<typeof pluginRequests.notifyFailure>;
