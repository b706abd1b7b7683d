import { runCliCases } from './helpers/e2e-cases.js';
import { sqliteStore } from './helpers/stores.js';

runCliCases('SQLite', sqliteStore);
