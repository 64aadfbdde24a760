// GET /api/v1/docs: the OpenAPI document rendered as one self-contained HTML page, on the server:
// no script, no stylesheet or font from elsewhere, so it works offline and behind any proxy.
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const escape = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!,
  );

/** Backticks in descriptions become <code>; everything else is text. */
const prose = (s: string) => escape(s).replace(/`([^`]+)`/g, (_, code: string) => `<code>${code}</code>`);

const anchor = (method: string, path: string) =>
  `${method}-${path.replace(/[^a-zA-Z0-9]+/g, '-').replace(/^-|-$/g, '')}`;

/** A one-line summary of a schema for tables: type, enum, format, bounds, pattern, default. */
function brief(schema: Json): string {
  const parts: string[] = [];
  if (schema.enum) parts.push(schema.enum.map((v: unknown) => JSON.stringify(v)).join(' | '));
  else if (schema.type) parts.push(String(schema.type));
  if (schema.format) parts.push(`format ${schema.format}`);
  for (const key of ['minimum', 'maximum', 'minLength', 'maxLength', 'exclusiveMinimum'])
    if (schema[key] !== undefined) parts.push(`${key} ${schema[key]}`);
  if (schema.pattern && !schema.format) parts.push(`pattern ${schema.pattern}`);
  if (schema.default !== undefined) parts.push(`default ${JSON.stringify(schema.default)}`);
  return parts.join(', ');
}

function schemaBlock(schema: Json | undefined): string {
  if (!schema) return '';
  return `<details><summary>schema</summary><pre>${escape(JSON.stringify(schema, null, 2))}</pre></details>`;
}

function operationHtml(path: string, method: string, op: Json): string {
  const params = (op.parameters ?? []) as Json[];
  const body = op.requestBody?.content?.['application/json']?.schema as Json | undefined;
  const bodyFields = Object.entries((body?.properties ?? {}) as Record<string, Json>);
  const required = new Set<string>((body?.required ?? []) as string[]);
  const rows = [
    ...params.map(
      (p) =>
        `<tr><td><code>${escape(p.name)}</code></td><td>${p.in}</td><td>${p.required ? 'yes' : ''}</td><td>${escape(brief(p.schema))}</td></tr>`,
    ),
    ...bodyFields.map(
      ([name, s]) =>
        `<tr><td><code>${escape(name)}</code></td><td>body</td><td>${required.has(name) ? 'yes' : ''}</td><td>${escape(brief(s))}</td></tr>`,
    ),
  ];
  const responses = Object.entries(op.responses as Record<string, Json>).map(([status, res]) => {
    const content = Object.entries((res.content ?? {}) as Record<string, Json>)[0];
    const schema = content?.[1].schema as Json | undefined;
    const shown = schema?.$ref ? undefined : schema;
    return `<li><span class="status s${status[0]}">${status}</span> ${prose(res.description ?? '')}${
      content ? ` <span class="ct">${escape(content[0])}</span>` : ''
    }${schema?.$ref ? ' <span class="ct">Error</span>' : ''}${schemaBlock(shown)}</li>`;
  });
  return `<section class="op" id="${anchor(method, path)}">
<h3><span class="method ${method}">${method.toUpperCase()}</span> <code>${escape(path)}</code></h3>
<p>${prose(op.summary ?? '')}</p>${op.description ? `<p>${prose(op.description)}</p>` : ''}
${rows.length ? `<table><tr><th>name</th><th>in</th><th>required</th><th>schema</th></tr>${rows.join('')}</table>` : ''}
${body ? `<h4>Request body${op.requestBody.required ? '' : ' (optional)'}</h4>${schemaBlock(body)}` : ''}
<h4>Responses</h4><ul class="responses">${responses.join('')}</ul>
</section>`;
}

export function renderReference(doc: Json): string {
  const byTag = new Map<string, string[]>();
  const toc = new Map<string, string[]>();
  for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, Json>>))
    for (const [method, op] of Object.entries(methods)) {
      const tag = (op.tags?.[0] as string) ?? 'other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), operationHtml(path, method, op)]);
      toc.set(tag, [
        ...(toc.get(tag) ?? []),
        `<li><a href="#${anchor(method, path)}"><span class="method ${method}">${method.toUpperCase()}</span> ${escape(path)}</a></li>`,
      ]);
    }
  const tags = ((doc.tags ?? []) as Json[]).filter((t) => byTag.has(t.name));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(doc.info.title)} reference</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;display:flex;color:#1d2330}
nav{width:320px;flex:none;height:100vh;overflow:auto;position:sticky;top:0;background:#f4f5f7;padding:16px;box-sizing:border-box;font-size:13px}
nav ul{list-style:none;padding:0;margin:0 0 12px} nav a{color:inherit;text-decoration:none;display:block;padding:2px 0}
main{padding:24px 40px;max-width:980px;min-width:0}
code,pre{font-family:ui-monospace,monospace;font-size:13px} pre{background:#f4f5f7;padding:10px;overflow:auto}
.op{border-top:1px solid #dde;padding:8px 0 16px} h3{margin:8px 0;word-break:break-all}
.method{display:inline-block;min-width:44px;font:bold 11px ui-monospace,monospace;color:#fff;border-radius:3px;padding:2px 5px;text-align:center}
.get{background:#2f7dd1}.post{background:#2d9a56}.put,.patch{background:#c88a12}.delete{background:#c4392f}
table{border-collapse:collapse;font-size:13px} td,th{border:1px solid #dde;padding:3px 8px;text-align:left;vertical-align:top}
.status{font-weight:bold} .s2{color:#2d9a56}.s4{color:#c88a12}.s5,.sd{color:#c4392f} .ct{color:#667;font-size:12px}
ul.responses{padding-left:18px} details summary{cursor:pointer;color:#556;font-size:13px}
</style></head>
<body><nav><strong>${escape(doc.info.title)}</strong> v${escape(doc.info.version)}<p><a href="openapi.json">openapi.json</a></p>
${tags.map((t) => `<div>${escape(t.name)}</div><ul>${toc.get(t.name)!.join('')}</ul>`).join('\n')}</nav>
<main><h1>${escape(doc.info.title)}</h1><p>${prose(doc.info.description ?? '')}</p>
<h2 id="error">Error</h2><pre>${escape(JSON.stringify(doc.components.schemas.Error, null, 2))}</pre>
${tags
  .map(
    (t) =>
      `<h2 id="tag-${escape(t.name)}">${escape(t.name)}</h2>${t.description ? `<p>${prose(t.description)}</p>` : ''}${byTag.get(t.name)!.join('\n')}`,
  )
  .join('\n')}
</main></body></html>
`;
}
