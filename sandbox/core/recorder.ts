// Request recorder shared by every provider emulator.
// Every provider request an emulator receives (not the `/__emulator/*` control calls) is stored with
// its parsed body and the response status, so tests in this process (via `server.recorder`) or in
// another process, e.g. workerd (via `GET /__emulator/requests`), can assert on the traffic.

export interface RecordedRequest {
  id: number;
  /** Arrival time, ms since the epoch. */
  time: number;
  method: string;
  path: string;
  /** Query parameters as a plain object (last value wins for repeated keys). */
  query: Record<string, string>;
  /** Lower-cased request headers. */
  headers: Record<string, string>;
  /** Parsed JSON when the body was JSON, form fields as an object for forms, else the text ("" when empty). */
  body: unknown;
  status: number;
  duration_ms: number;
  /** The route key matched by the emulator (e.g. "POST /v1/messages"), or undefined. */
  route: string | undefined;
  /** Set when a fault was applied to this request (e.g. "error", "timeout"). */
  fault?: string;
}

export interface RecorderFilter {
  method?: string;
  /** Exact path, or a glob with `*` (matches any run of characters). */
  path?: string;
  /** Route key, exact (e.g. "GET /v2/domain-search"). */
  route?: string;
  status?: number;
  /** Only requests recorded at or after this time (ms epoch). */
  since?: number;
  /** Arbitrary predicate. */
  where?: (r: RecordedRequest) => boolean;
}

export function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${escaped}$`);
}

export function matchesFilter(r: RecordedRequest, f: RecorderFilter | undefined): boolean {
  if (!f) return true;
  if (f.method && r.method.toUpperCase() !== f.method.toUpperCase()) return false;
  if (f.path) {
    if (f.path.includes("*")) {
      if (!globToRegExp(f.path).test(r.path)) return false;
    } else if (r.path !== f.path) return false;
  }
  if (f.route && r.route !== f.route) return false;
  if (f.status !== undefined && r.status !== f.status) return false;
  if (f.since !== undefined && r.time < f.since) return false;
  if (f.where && !f.where(r)) return false;
  return true;
}

export class Recorder {
  #entries: RecordedRequest[] = [];
  #nextId = 1;
  /** Oldest entries are dropped past this many (a long benchmark must not grow without bound). */
  readonly limit: number;

  constructor(limit = 50_000) {
    this.limit = limit;
  }

  record(entry: Omit<RecordedRequest, "id">): RecordedRequest {
    const full: RecordedRequest = { id: this.#nextId++, ...entry };
    this.#entries.push(full);
    if (this.#entries.length > this.limit) this.#entries.splice(0, this.#entries.length - this.limit);
    return full;
  }

  list(filter?: RecorderFilter): RecordedRequest[] {
    return this.#entries.filter((r) => matchesFilter(r, filter));
  }

  count(filter?: RecorderFilter): number {
    return this.list(filter).length;
  }

  last(filter?: RecorderFilter): RecordedRequest | undefined {
    const l = this.list(filter);
    return l[l.length - 1];
  }

  clear(): void {
    this.#entries = [];
  }
}

/** Parses `GET /__emulator/requests?method=&path=&route=&status=&since=` query into a filter. */
export function filterFromQuery(q: URLSearchParams): RecorderFilter {
  const f: RecorderFilter = {};
  const method = q.get("method");
  if (method) f.method = method;
  const path = q.get("path");
  if (path) f.path = path;
  const route = q.get("route");
  if (route) f.route = route;
  const status = q.get("status");
  if (status) f.status = Number(status);
  const since = q.get("since");
  if (since) f.since = Number(since);
  return f;
}
