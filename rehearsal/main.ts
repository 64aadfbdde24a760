// `node dist/rehearsal/main.js --port 7380`: the rehearsal LLM on its own.
import { parseArgs } from 'node:util';
import { startRehearsalServer } from './server.js';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '7380' }, host: { type: 'string', default: '127.0.0.1' } },
});
const server = await startRehearsalServer({
  port: Number(values.port),
  host: values.host,
  log: (l) => console.log(l),
});
console.log(`rehearsal LLM listening on ${server.url} (scripted, offline: no real model is called)`);
const stop = () => void server.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
