import { runCliCases } from './helpers/e2e-cases.js';
import { mysqlStore } from './helpers/stores.js';

runCliCases('MySQL/MariaDB', mysqlStore);
