import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../service/index.js';
import { callerFrom } from './caller.js';
import { requestFields } from './supervisor-routes.js';

/**
 * The Plugin API's REST routes (SPEC §2): `POST /plugin/v1/plugin/{plugin_id}/get-endpoint` and
 * `PUT /plugin/v1/plugin/{plugin_id}/notify-failure`, JSON bodies, the path filling `plugin_id`.
 * A client that disconnects while get-endpoint waits for an instance ends the wait.
 */
export function pluginRoutes(services: Services): FastifyPluginAsync {
  const p = services.plugins;
  return async (app) => {
    app.post(
      '/plugin/v1/plugin/:plugin_id/get-endpoint',
      async (request: FastifyRequest, reply: FastifyReply) => {
        const gone = abortOnDisconnect(reply);
        try {
          const answer = await p.getPluginEndpoint(
            callerFrom(request),
            requestFields(request, undefined),
            gone,
          );
          return await reply.code(200).send(answer);
        } catch (err) {
          // A client that went away is not a server error. The answer (499, "client closed
          // request") goes nowhere, but finishes the request so that shutdown does not wait for it.
          if (gone.aborted) {
            return await reply
              .code(499)
              .send({ code: 'ERROR_CANCELLED', message: 'the client disconnected' });
          }
          throw err;
        }
      },
    );
    app.put(
      '/plugin/v1/plugin/:plugin_id/notify-failure',
      async (request: FastifyRequest, reply: FastifyReply) => {
        await p.notifyFailure(callerFrom(request), requestFields(request, undefined));
        return reply.code(200).send({});
      },
    );
    await Promise.resolve();
  };
}

/** Aborts when the connection closes before the answer was written. */
function abortOnDisconnect(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new Error('the client disconnected'));
  });
  return controller.signal;
}
