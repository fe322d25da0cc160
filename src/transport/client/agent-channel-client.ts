import {
  credentials,
  loadPackageDefinition,
  Metadata,
  type ClientReadableStream,
  type ServiceClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js';

import { loadAgentChannelProto } from '../agent-channel-proto.js';
import { ApiError } from './api-error.js';
import type { ClientOptions } from './supervisor-client.js';

/** An open `plugvisor.v1.AgentChannel/watch` stream. */
export interface WatchStream {
  /** Resolves on the first message (the control plane accepted the stream); rejects if it ends first. */
  opened: Promise<void>;
  /** Settles when the stream ends: with the error that ended it, or undefined after close(). */
  ended: Promise<Error | undefined>;
  close(): void;
}

/**
 * A client of Plugvisor's agent channel (`proto/plugvisor/v1/agent.proto`), through which an agent
 * learns at once that its desired set changed. Keepalive pings detect a dead connection within
 * about 20 s even when no change is announced.
 */
export class AgentChannelClient {
  readonly #client: InstanceType<ServiceClientConstructor>;
  readonly #options: ClientOptions;

  /** `address` is `host:port`. */
  constructor(address: string, options: ClientOptions = {}) {
    const loaded = loadPackageDefinition(loadAgentChannelProto()) as unknown as {
      plugvisor: { v1: { AgentChannel: ServiceClientConstructor } };
    };
    this.#client = new loaded.plugvisor.v1.AgentChannel(address, credentials.createInsecure(), {
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.keepalive_permit_without_calls': 0,
    });
    this.#options = options;
  }

  /** Opens the stream for `supervisorId`; `onChanged` runs for every DesiredChanged message. */
  watch(
    request: { supervisor_id: string; domain_id?: string },
    onChanged: () => void,
  ): WatchStream {
    const metadata = new Metadata();
    if (this.#options.token !== undefined) metadata.set('token', this.#options.token);
    const call = (
      this.#client as unknown as {
        watch(req: object, md: Metadata): ClientReadableStream<unknown>;
      }
    ).watch({ supervisor_id: request.supervisor_id, domain_id: request.domain_id ?? '' }, metadata);

    let closedByUs = false;
    let markOpened: () => void = () => undefined;
    let failOpen: (err: Error) => void = () => undefined;
    const opened = new Promise<void>((resolve, reject) => {
      markOpened = resolve;
      failOpen = reject;
    });
    opened.catch(() => undefined);

    const ended = new Promise<Error | undefined>((resolve) => {
      call.on('data', () => {
        markOpened();
        onChanged();
      });
      call.on('error', (err: ServiceError) => {
        const error = closedByUs ? undefined : ApiError.fromServiceError(err);
        if (error !== undefined) failOpen(error);
        resolve(error);
      });
      call.on('end', () => {
        const error = closedByUs
          ? undefined
          : new Error('the control plane ended the watch stream');
        if (error !== undefined) failOpen(error);
        resolve(error);
      });
    });

    return {
      opened,
      ended,
      close: () => {
        closedByUs = true;
        call.cancel();
      },
    };
  }

  /** Closes the channel. */
  close(): void {
    this.#client.close();
  }
}
