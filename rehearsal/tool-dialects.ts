// Scenarios script tool calls in Pi's vocabulary (write, bash, read, edit, ls). Other agent CLIs
// offer the same capabilities under their own names and argument shapes, so a scenario call is
// translated to whatever the request's tool list offers. A tool the client offers under the
// scenario's own name always wins: Pi keeps getting exactly what the scenario says.
import path from 'node:path';

export interface ToolCallSpec {
  name: string;
  arguments: Record<string, unknown>;
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** The working directory a Claude Code request states in its environment section, if any. */
export function claudeCodeCwd(requestText: string): string | undefined {
  return /Primary working directory: (.+)/.exec(requestText)?.[1]?.trim();
}

/** Claude Code: Write/Read/Edit take absolute `file_path`s, Bash takes `command`, Glob lists. */
export function toClaudeCode(
  call: ToolCallSpec,
  offered: Set<string>,
  cwd: string | undefined,
): ToolCallSpec {
  if (offered.has(call.name)) return call;
  const a = call.arguments;
  const file = (p: unknown) => (cwd && !path.isAbsolute(str(p)) ? path.join(cwd, str(p)) : str(p));
  const mapped: Record<string, () => ToolCallSpec> = {
    write: () => ({ name: 'Write', arguments: { file_path: file(a.path), content: str(a.content) } }),
    read: () => ({ name: 'Read', arguments: { file_path: file(a.path) } }),
    edit: () => ({
      name: 'Edit',
      arguments: { file_path: file(a.path), old_string: str(a.oldText), new_string: str(a.newText) },
    }),
    bash: () => ({
      name: 'Bash',
      arguments: { command: str(a.command), ...(typeof a.timeout === 'number' && { timeout: a.timeout }) },
    }),
    ls: () => ({
      name: 'Glob',
      arguments: { pattern: '*', ...(a.path !== undefined && { path: file(a.path) }) },
    }),
  };
  const candidate = mapped[call.name]?.();
  return candidate && offered.has(candidate.name) ? candidate : call;
}

/** Quotes a string for a POSIX shell. */
export const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * Codex: every file and shell action goes through its command tool (`exec_command` with `cmd` in
 * current releases, `shell` with an argv in older ones, `shell_command` in between). Writes
 * become a printf into the file, so the content lands byte for byte.
 */
export function toCodex(call: ToolCallSpec, offered: Set<string>): ToolCallSpec {
  if (offered.has(call.name)) return call;
  const a = call.arguments;
  const command = (cmd: string): ToolCallSpec | undefined => {
    // The longest wait exec_command allows before it hands back a session id instead of output.
    if (offered.has('exec_command'))
      return { name: 'exec_command', arguments: { cmd, yield_time_ms: 30_000 } };
    if (offered.has('shell_command')) return { name: 'shell_command', arguments: { command: cmd } };
    if (offered.has('shell')) return { name: 'shell', arguments: { command: ['bash', '-lc', cmd] } };
    return undefined;
  };
  const target = shellQuote(str(a.path));
  const scripts: Record<string, () => string> = {
    bash: () => str(a.command),
    write: () => `mkdir -p "$(dirname ${target})" && printf '%s' ${shellQuote(str(a.content))} > ${target}`,
    read: () => `cat ${target}`,
    ls: () => `ls -la ${a.path === undefined ? '.' : target}`,
  };
  const script = scripts[call.name]?.();
  return (script !== undefined && command(script)) || call;
}
