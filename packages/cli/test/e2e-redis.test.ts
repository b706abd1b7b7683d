import { runCliCases } from './helpers/e2e-cases.js';
import { redisStore } from './helpers/stores.js';

runCliCases('Redis', redisStore);
