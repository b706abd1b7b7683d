import { runCliCases } from './helpers/e2e-cases.js';
import { postgresStore } from './helpers/stores.js';

runCliCases('PostgreSQL', postgresStore);
