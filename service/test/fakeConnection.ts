/**
 * A connection class for the real Elasticsearch client that answers every
 * request with `answer`: what tests use to see what the client sends (the
 * request, and the connection's URL and headers) without a cluster.
 */
import {
  BaseConnection,
  type ConnectionRequestOptions,
  type ConnectionRequestOptionsAsStream,
  type ConnectionRequestParams,
  type ConnectionRequestResponse,
  type ConnectionRequestResponseAsStream
} from '@elastic/elasticsearch';

export interface IFakeAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export type FakeAnswerer = (
  params: ConnectionRequestParams,
  connection: BaseConnection
) => IFakeAnswer | Promise<IFakeAnswer>;

export function fakeConnection(answer: FakeAnswerer): typeof BaseConnection {
  return class FakeConnection extends BaseConnection {
    request(
      params: ConnectionRequestParams,
      options: ConnectionRequestOptions
    ): Promise<ConnectionRequestResponse>;
    request(
      params: ConnectionRequestParams,
      options: ConnectionRequestOptionsAsStream
    ): Promise<ConnectionRequestResponseAsStream>;
    async request(
      params: ConnectionRequestParams
    ): Promise<ConnectionRequestResponse | ConnectionRequestResponseAsStream> {
      const reply = await answer(params, this);
      return {
        statusCode: reply.status,
        body: JSON.stringify(reply.body),
        headers: {
          'content-type': 'application/json',
          'x-elastic-product': 'Elasticsearch',
          ...(reply.headers ?? {})
        }
      };
    }
  };
}
