import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, Metadata, credentials, status, type ServiceError } from '@grpc/grpc-js';
import {
  ISO_MS_UTC,
  startTestControlPlane,
  type TestControlPlane,
} from './support/control-plane.js';

// Protobuf written and read by hand, with the field numbers of SPEC §2, so that this test fails
// if the protos (or the server) drift from the published wire format.

function varint(n: number): Buffer {
  const bytes: number[] = [];
  let v = n;
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

function tag(field: number, wireType: number): Buffer {
  return varint(field * 8 + wireType);
}

function bytesField(field: number, value: Buffer | string): Buffer {
  const data = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([tag(field, 2), varint(data.length), data]);
}

function varintField(field: number, value: number): Buffer {
  return Buffer.concat([tag(field, 0), varint(value)]);
}

/** google.protobuf.Struct { map<string, Value> fields = 1 } with string values (Value.string_value = 3). */
function stringStruct(entries: Record<string, string>): Buffer {
  return Buffer.concat(
    Object.entries(entries).map(([key, value]) =>
      bytesField(1, Buffer.concat([bytesField(1, key), bytesField(2, bytesField(3, value))])),
    ),
  );
}

type Decoded = Map<number, (Buffer | number)[]>;

/** Decodes one message level: field number → values (varints as numbers, others as bytes). */
function decode(buf: Buffer): Decoded {
  const out: Decoded = new Map();
  let pos = 0;
  const readVarint = (): number => {
    let result = 0;
    let shift = 1;
    for (;;) {
      const byte = buf[pos++];
      if (byte === undefined) throw new Error('truncated varint');
      result += (byte & 0x7f) * shift;
      if ((byte & 0x80) === 0) return result;
      shift *= 128;
    }
  };
  while (pos < buf.length) {
    const key = readVarint();
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    let value: Buffer | number;
    if (wireType === 0) value = readVarint();
    else if (wireType === 2) {
      const length = readVarint();
      value = buf.subarray(pos, pos + length);
      pos += length;
    } else throw new Error(`unexpected wire type ${wireType} for field ${field}`);
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}

function text(d: Decoded, field: number): string {
  const v = d.get(field)?.[0];
  assert.ok(Buffer.isBuffer(v), `field ${field} is length-delimited`);
  return v.toString('utf8');
}

function rawCall(client: Client, method: string, body: Buffer, token: string): Promise<Buffer> {
  const metadata = new Metadata();
  metadata.set('token', token);
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      `/spaceone.api.plugin.v1.Supervisor/${method}`,
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      metadata,
      (err: ServiceError | null, value?: Buffer) =>
        err === null ? resolve(value ?? Buffer.alloc(0)) : reject(err),
    );
  });
}

describe('the gRPC wire format', () => {
  let t: TestControlPlane;
  let client: Client;

  before(async () => {
    t = await startTestControlPlane();
    client = new Client(t.plane.grpcAddress, credentials.createInsecure());
  });
  after(async () => {
    client.close();
    await t.stop(true);
  });

  it('accepts a hand-encoded PublishSupervisorRequest and answers a SupervisorInfo with the documented numbers', async () => {
    const request = Buffer.concat([
      bytesField(1, 'wire'), // name
      bytesField(2, 'wire.example.com'), // hostname
      bytesField(3, 'secret'), // secret_key
      bytesField(5, stringStruct({ env: 'wire' })), // tags
      varintField(6, 1), // is_public
      bytesField(7, 'domain-wire'), // domain_id
      bytesField(8, stringStruct({ region: 'eu' })), // labels
    ]);
    const info = decode(await rawCall(client, 'publish', request, t.token));

    assert.match(text(info, 1), /^supervisor-[0-9a-f]{12}$/);
    assert.equal(text(info, 2), 'wire');
    assert.equal(text(info, 3), 'wire.example.com');
    assert.equal(info.get(4)?.[0], 3, 'state PENDING = 3');
    assert.equal(info.get(5)?.[0], 1, 'is_public true');
    assert.equal(text(info, 7), 'domain-wire');
    assert.match(text(info, 10), ISO_MS_UTC);
    assert.match(text(info, 11), ISO_MS_UTC);

    const tags = decode(info.get(8)?.[0] as Buffer);
    const entry = decode(tags.get(1)?.[0] as Buffer);
    assert.equal(text(entry, 1), 'env');
    assert.equal(text(decode(entry.get(2)?.[0] as Buffer), 3), 'wire');
  });

  it('answers bytes that are no valid message with INVALID_ARGUMENT, not INTERNAL', async () => {
    const garbage = Buffer.from([0x9f, 0x06, 0x01]); // field 99 with wire type 7, which does not exist
    await assert.rejects(rawCall(client, 'publish', garbage, t.token), (err: ServiceError) => {
      assert.equal(err.code, status.INVALID_ARGUMENT, err.details);
      assert.match(err.details, /^ERROR_INVALID_PARAMETER: /);
      return true;
    });
  });
});
