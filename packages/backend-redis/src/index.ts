export {
  RedisBackend,
  type RedisBackendBaseOptions,
  type RedisBackendClientOptions,
  type RedisBackendConnectionOptions,
  type RedisBackendOptions,
  type RedisBackendUrlOptions,
} from './redis-backend.js';
