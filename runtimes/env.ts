// The environment every agent process starts from: the parent's, minus anything secret. Agents
// run untrusted model output as shell commands, so provider keys and Dash's own secrets stay out.
export function agentBaseEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(([k]) => !/_API_KEY$|^DASH_JWT_SECRET$|^DASH_DATABASE_URL$/.test(k)),
  );
}
