import { errors } from '@elastic/elasticsearch';

import { mapElasticsearchError } from '../../src/store/es-errors';
import { StoreQueryError, StoreUnavailableError } from '../../src/store/store';

const LOCATION = 'https://es.example:9200/';

function responseError(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {}
) {
  return new errors.ResponseError({
    body,
    statusCode,
    headers,
    warnings: null,
    meta: {} as never
  });
}

describe('mapElasticsearchError', () => {
  it('names the credentials variables on 401', () => {
    const mapped = mapElasticsearchError(
      responseError(401, {
        error: { type: 'security_exception', reason: 'unable to authenticate' }
      }),
      'storing a batch',
      LOCATION
    );
    expect(mapped).toBeInstanceOf(StoreUnavailableError);
    expect(mapped.message).toMatch(
      /refused the credentials \(401 security_exception: unable to authenticate\).*TFLOG_ES_API_KEY/
    );
  });

  it('points to the privileges on 403', () => {
    const mapped = mapElasticsearchError(
      responseError(403, {
        error: {
          type: 'security_exception',
          reason: 'action [indices:data/write/bulk] is unauthorized'
        }
      }),
      'storing a batch',
      LOCATION
    );
    expect(mapped).toBeInstanceOf(StoreUnavailableError);
    expect(mapped.message).toMatch(/not authorized .*docs\/storage\.md/);
  });

  it('retries 429 and 5xx, honouring Retry-After', () => {
    const busy = mapElasticsearchError(
      responseError(429, { error: 'slow down' }, { 'retry-after': '3' }),
      'x',
      LOCATION
    );
    expect(busy).toMatchObject({
      name: 'StoreUnavailableError',
      statusCode: 429,
      retryAfterMs: 3000
    });
    const failing = mapElasticsearchError(
      responseError(503, {
        error: { type: 'master_not_discovered_exception', reason: '' }
      }),
      'x',
      LOCATION
    );
    expect(failing).toMatchObject({
      name: 'StoreUnavailableError',
      statusCode: 503
    });
  });

  it('reports other 4xx as query errors', () => {
    expect(
      mapElasticsearchError(responseError(400, { error: 'bad' }), 'x', LOCATION)
    ).toBeInstanceOf(StoreQueryError);
  });

  it('explains TLS failures', () => {
    const mapped = mapElasticsearchError(
      new errors.ConnectionError(
        'self-signed certificate in certificate chain'
      ),
      'connecting',
      LOCATION
    );
    expect(mapped).toBeInstanceOf(StoreUnavailableError);
    expect(mapped.message).toMatch(
      /TLS connection to https:\/\/es\.example:9200\/ failed .*TFLOG_ES_CA_CERTS.*TFLOG_ES_VERIFY_CERTS=false/
    );
  });

  it('explains connection failures and timeouts', () => {
    expect(
      mapElasticsearchError(
        new errors.ConnectionError('connect ECONNREFUSED 127.0.0.1:9200'),
        'connecting',
        LOCATION
      ).message
    ).toBe(
      'connecting: cannot connect to Elasticsearch at https://es.example:9200/ (connect ECONNREFUSED 127.0.0.1:9200)'
    );
    expect(
      mapElasticsearchError(
        new errors.TimeoutError('Request timed out'),
        'x',
        LOCATION
      )
    ).toBeInstanceOf(StoreUnavailableError);
  });

  it('says when the server is not Elasticsearch', () => {
    const mapped = mapElasticsearchError(
      new errors.ProductNotSupportedError('Elasticsearch'),
      'connecting',
      LOCATION
    );
    expect(mapped).toBeInstanceOf(StoreUnavailableError);
    expect(mapped.message).toMatch(
      /not a supported Elasticsearch .*OpenSearch/
    );
  });

  it('keeps anything else as a plain error with context', () => {
    const mapped = mapElasticsearchError(
      new TypeError('boom'),
      'reading logs',
      LOCATION
    );
    expect(mapped).not.toBeInstanceOf(StoreUnavailableError);
    expect(mapped.message).toBe('reading logs: boom');
  });
});
