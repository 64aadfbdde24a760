import { Hono } from 'hono';
import { ROLES } from '../../core/roles.js';

export function roleRoutes() {
  return new Hono().get('/', (c) =>
    c.json({
      data: Object.values(ROLES).map((r) => ({
        name: r.name,
        alias: r.alias,
        purpose: r.purpose,
        tools: r.tools,
      })),
    }),
  );
}
