// GET /api/v1/openapi.json and GET /api/v1/docs: the API describing itself.
import { Hono } from 'hono';
import { openApiDocument } from './document.js';
import { renderReference } from './render.js';

export function openApiRoutes() {
  let page: string | undefined;
  return new Hono()
    .get('/openapi.json', (c) => c.json(openApiDocument()))
    .get('/docs', (c) => c.html((page ??= renderReference(openApiDocument()))));
}
