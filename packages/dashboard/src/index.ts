export type { Alert } from './api/fleet-routes.js';
export type { JobView } from './api/jobs-routes.js';
export type { AttemptView, TaskDetail, TaskSummary } from './api/record-view.js';
export { type BasicAuthOptions, basicAuth } from './auth.js';
export { createDashboard, type Dashboard } from './dashboard.js';
export { DashboardOptionError, HttpError } from './errors.js';
export {
  type Authorize,
  type AuthorizeResult,
  CAPABILITIES,
  type Capability,
  type DashboardOptions,
  type DashboardScheduler,
} from './options.js';
