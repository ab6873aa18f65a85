/** The service's HTTP query API. */
export { createApiServer } from './server';
export type {
  IApiLogger,
  IApiServer,
  IApiServerOptions,
  ListenTarget,
  ListeningAt
} from './server';
export type { IRunUpdate } from './events';
