// PII and secret detectors: regexes narrowed by checksums where the format has one (Luhn for
// cards, mod-97 for IBANs, net.isIP for addresses), so that numbers in code rarely trip them.
// Only counts per kind leave this module; matched text is never logged or stored.
import net from 'node:net';

export type PiiKind =
  'private_key' | 'secret' | 'email' | 'iban' | 'card' | 'ssn' | 'ipv6' | 'ipv4' | 'phone';

interface Detector {
  kind: PiiKind;
  pattern: RegExp;
  valid?: (match: string) => boolean;
  /** What every valid match contains: a text without it is not scanned with `pattern`. */
  needs?: string;
  /** How many digits every valid match holds: a text with fewer is not scanned either. */
  minDigits?: number;
}

const digits = (s: string) => s.replace(/\D/g, '');

function phoneDigits(m: string): boolean {
  const n = digits(m).length;
  return n >= 9 && n <= 15;
}

export function luhn(num: string): boolean {
  let sum = 0;
  for (let i = 0; i < num.length; i++) {
    let d = num.charCodeAt(num.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

export function ibanValid(raw: string): boolean {
  const s = raw.replace(/\s/g, '').toUpperCase();
  if (s.length < 15 || s.length > 34) return false;
  const moved = s.slice(4) + s.slice(0, 4);
  let rem = 0;
  for (const ch of moved) {
    const v = ch >= 'A' && ch <= 'Z' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of v) rem = (rem * 10 + (d.charCodeAt(0) - 48)) % 97;
  }
  return rem === 1;
}

// Order is priority: on overlapping matches the earlier detector wins.
const DETECTORS: Detector[] = [
  {
    kind: 'private_key',
    pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----/g,
    needs: 'PRIVATE KEY-----',
  },
  {
    kind: 'secret',
    pattern:
      /\b(?:sk-(?:proj-|ant-(?:api\d\d-)?)?[A-Za-z0-9_-]{20,}|dash_sk_[A-Za-z0-9_-]{20,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,}|xox[abposr]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|glpat-[A-Za-z0-9_-]{20,}|sk_live_[A-Za-z0-9]{20,})/g,
  },
  // Not followed by ':path', which makes it an SSH remote (git@github.com:owner/repo).
  {
    kind: 'email',
    pattern:
      /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b(?!:[\w/])/g,
    needs: '@',
  },
  {
    kind: 'iban',
    pattern: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b/g,
    valid: ibanValid,
    minDigits: 2,
  },
  {
    kind: 'card',
    pattern: /\b\d(?:[ -]?\d){12,18}\b/g,
    minDigits: 13,
    valid: (m) => {
      const d = digits(m);
      return d.length >= 13 && d.length <= 19 && luhn(d) && !/^(\d)\1+$/.test(d);
    },
  },
  {
    kind: 'ssn',
    pattern: /\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b/g,
    needs: '-',
    minDigits: 9,
  },
  // Any run of hex digits and colons with two colons or more, confirmed by the IP parser.
  {
    kind: 'ipv6',
    pattern: /(?<![\w:.])(?=[0-9A-Fa-f]*:[0-9A-Fa-f]*:)[0-9A-Fa-f:]{2,39}(?![\w:]|\.\w)/g,
    valid: (m) => net.isIPv6(m),
    needs: ':',
  },
  // A sentence may end right after an address; a fifth dotted number may not follow it.
  {
    kind: 'ipv4',
    pattern:
      /(?<!\w|\d\.)(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\w|\.\d)/g,
    needs: '.',
    minDigits: 4,
  },
  // Not part of a longer run of digit groups (card-like numbers that failed Luhn, IBAN bodies).
  {
    kind: 'phone',
    pattern:
      /(?<![\w+]|\d[ .-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])\d{3,4}[ .-]\d{3,5}(?![\w-]|[ .-]\d)/g,
    valid: phoneDigits,
    minDigits: 9,
  },
  // International numbers written in short groups (+33 1 42 68 53 00).
  {
    kind: 'phone',
    pattern: /(?<![\w+])\+\d{1,3}(?:[ .-]\d{1,4}){3,6}(?![\w-]|[ .-]\d)/g,
    valid: phoneDigits,
    needs: '+',
    minDigits: 9,
  },
];

export interface PiiMatch {
  kind: PiiKind;
  start: number;
  end: number;
}

function countDigits(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

export function findPii(text: string): PiiMatch[] {
  const found: PiiMatch[] = [];
  let digits: number | undefined;
  for (const d of DETECTORS) {
    if (d.needs !== undefined && !text.includes(d.needs)) continue;
    if (d.minDigits !== undefined && (digits ??= countDigits(text)) < d.minDigits) continue;
    // exec, not matchAll: matchAll copies the regex on every call, a measurable cost per request.
    const re = d.pattern;
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      if (d.valid && !d.valid(m[0])) continue;
      const start = m.index;
      const end = start + m[0].length;
      if (found.some((f) => start < f.end && end > f.start)) continue;
      found.push({ kind: d.kind, start, end });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

export type PiiCounts = Partial<Record<string, number>>;

export function addCounts(into: PiiCounts, matches: PiiMatch[], prefix: string): void {
  for (const m of matches) into[`${prefix}${m.kind}`] = (into[`${prefix}${m.kind}`] ?? 0) + 1;
}

export function redact(text: string, matches: PiiMatch[]): string {
  let out = '';
  let at = 0;
  for (const m of matches) {
    out += `${text.slice(at, m.start)}[REDACTED:${m.kind.toUpperCase()}]`;
    at = m.end;
  }
  return out + text.slice(at);
}

const HOLD = 96;
const KEY_BLOCK_MAX = 16_384;

/**
 * Redacts a text that arrives in pieces: it holds back the last HOLD characters (and any open
 * private-key block) so an entity split across chunks is still seen whole.
 */
export class StreamRedactor {
  private buffer = '';

  constructor(private readonly counts: PiiCounts) {}

  push(delta: string): string {
    this.buffer += delta;
    if (this.buffer.length <= HOLD) return '';
    const matches = findPii(this.buffer);
    let cut = this.buffer.length - HOLD;
    for (const m of matches) if (m.start < cut && m.end >= cut) cut = m.start;
    const open = this.buffer.lastIndexOf('-----BEGIN');
    if (
      open >= 0 &&
      open < cut &&
      !this.buffer.includes('-----END', open) &&
      this.buffer.length - open < KEY_BLOCK_MAX
    )
      cut = open;
    return this.emit(
      cut,
      matches.filter((m) => m.end <= cut),
    );
  }

  flush(): string {
    return this.emit(this.buffer.length, findPii(this.buffer));
  }

  private emit(cut: number, matches: PiiMatch[]): string {
    if (cut <= 0) return '';
    const head = this.buffer.slice(0, cut);
    this.buffer = this.buffer.slice(cut);
    addCounts(this.counts, matches, 'response.');
    return redact(head, matches);
  }
}
