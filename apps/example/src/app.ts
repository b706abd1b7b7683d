import { ErrandError, type TaskManager, type TaskQuery, type TaskStatus } from '@errand/core';
import { basicAuth, createDashboard } from '@errand/dashboard';
import { fastifyDashboard } from '@errand/dashboard/fastify';
import type { Scheduler } from '@errand/scheduler';
import Fastify, { type FastifyInstance } from 'fastify';
import { healthReport } from './health.js';
import type { defineTasks } from './tasks.js';

type Tasks = ReturnType<typeof defineTasks>;

/** Where the dashboard is mounted, and the login that opens it. */
export const DASHBOARD_PATH = '/tasks/dashboard';

/** HTTP routes that enqueue tasks and read their history, and the dashboard. */
export function buildApp(
  manager: TaskManager,
  tasks: Tasks,
  scheduler: Scheduler,
  login: { username: string; password: string },
): FastifyInstance {
  const app = Fastify({ logger: false });

  // The dashboard is closed unless authorize opens it: here one Basic login (see the README).
  const dashboard = createDashboard({
    manager,
    scheduler,
    basePath: DASHBOARD_PATH,
    authorize: basicAuth(login),
  });
  app.register(fastifyDashboard, { dashboard });
  app.addHook('onClose', async () => dashboard.close());

  // Errand's typed errors become 4xx answers; anything else stays a 500.
  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof ErrandError) {
      const notFound = error.code === 'ERR_TASK_NOT_FOUND' || error.code === 'ERR_JOB_NOT_FOUND';
      const status = notFound ? 404 : error.code === 'ERR_BACKEND' ? 503 : 400;
      return reply.status(status).send({ error: error.code, message: error.message });
    }
    const { statusCode, message } = error as { statusCode?: number; message?: string };
    return reply
      .status(statusCode ?? 500)
      .send({ error: 'ERR_INTERNAL', message: message ?? 'internal error' });
  });

  app.post<{ Body: { email?: string } }>('/signup', async (request, reply) => {
    const email = request.body?.email;
    if (typeof email !== 'string' || !email.includes('@')) {
      return reply.status(400).send({ error: 'ERR_BAD_REQUEST', message: 'body must be {"email": "..."}' });
    }
    // One welcome email per address, however often the form is submitted.
    const id = await tasks.sendWelcomeEmail.enqueue([email], { idempotencyKey: `welcome:${email}` });
    return reply.status(202).send({ id });
  });

  app.post<{ Body: { month?: string } }>('/reports', async (request, reply) => {
    const month = request.body?.month;
    if (typeof month !== 'string' || !/^\d{4}-\d{2}$/.test(month)) {
      return reply
        .status(400)
        .send({ error: 'ERR_BAD_REQUEST', message: 'body must be {"month": "YYYY-MM"}' });
    }
    const id = await tasks.buildReport.enqueue([month]);
    return reply.status(202).send({ id });
  });

  app.get<{
    Querystring: { status?: string; name?: string; cursor?: string; limit?: string; error?: string };
  }>('/tasks', async (request) => {
    const { status, name, cursor, limit, error } = request.query;
    const query: TaskQuery = {
      status: status ? (status.split(',') as TaskStatus[]) : undefined,
      name: name ? name.split(',') : undefined,
      cursor,
      limit: limit ? Number(limit) : undefined,
      errorContains: error,
    };
    return manager.query(query);
  });

  app.get<{ Params: { id: string } }>('/tasks/:id', async (request, reply) => {
    const task = await manager.get(request.params.id);
    return task ?? reply.status(404).send({ error: 'ERR_TASK_NOT_FOUND', message: 'no such task' });
  });

  app.post<{ Params: { id: string } }>('/tasks/:id/retry', async (request) => ({
    id: await manager.retry(request.params.id),
  }));

  app.post<{ Params: { id: string } }>('/tasks/:id/cancel', async (request) => ({
    cancelled: await manager.cancel(request.params.id),
  }));

  app.get('/jobs', async () => scheduler.list());

  app.post<{ Params: { id: string } }>('/jobs/:id/run', async (request, reply) =>
    reply.status(202).send({ id: await scheduler.runNow(request.params.id) }),
  );

  app.get('/health', async (_request, reply) => {
    const report = await healthReport(manager);
    return reply.status(report.healthy ? 200 : 503).send(report);
  });

  return app;
}
