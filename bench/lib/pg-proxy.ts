// A TCP proxy in front of the database that counts what the Worker asks of it, by reading the
// Postgres frontend protocol (the client → server half; the server half is passed through untouched).
//
// What is counted (the benchmark's "database round trips"):
//  - a connection: one StartupMessage (postgres.js opens one per store call inside workerd);
//  - a query round trip: one simple Query ('Q') or one Sync ('S') that ends an extended-protocol batch
//    (Parse/Bind/Describe/Execute/Sync are written together and answered together: one round trip);
//  - the database function a round trip calls, read from the query text (`public.<fn>(`).
// The same proxy works in front of the embedded PGlite server and a server Postgres (DATABASE_URL),
// so the figure does not depend on which database answers. Connection setup (TCP + startup/auth) is
// counted separately: it is a round trip too, but not one the app's code asks for.

import { createServer, connect, type Socket } from "node:net";

export interface PgCounts {
  connections: number;
  query_round_trips: number;
  /** Query round trips per database function (`other` when the text names none). */
  by_function: Record<string, number>;
  /** Connections whose traffic could not be read (TLS): their queries are not counted. */
  unreadable_connections: number;
  /**
   * Time the database took, seen from the proxy: a query round trip from the client's Sync/Query to
   * the server's ReadyForQuery; a connection from the client's arrival to its first ReadyForQuery.
   */
  latency_ms: Record<string, { n: number; total: number; max: number }>;
}

export interface PgCountingProxy {
  /** The upstream URL with host and port replaced by the proxy's. */
  url: string;
  counts(): PgCounts;
  reset(): void;
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const FUNCTION_CALL = /public\.([a-z_][a-z0-9_]*)\s*\(/i;

function emptyCounts(): PgCounts {
  return { connections: 0, query_round_trips: 0, by_function: {}, unreadable_connections: 0, latency_ms: {} };
}

/** Reads the query string of a Parse message body: name\0 query\0 ... */
function parseMessageQuery(body: Buffer): string {
  const nameEnd = body.indexOf(0);
  if (nameEnd < 0) return "";
  const queryEnd = body.indexOf(0, nameEnd + 1);
  return body.toString("utf8", nameEnd + 1, queryEnd < 0 ? body.length : queryEnd);
}

function functionOf(query: string): string {
  return FUNCTION_CALL.exec(query)?.[1]?.toLowerCase() ?? "other";
}

/** Counts ReadyForQuery ('Z') messages in the server's stream (after an optional 1-byte SSL answer). */
class BackendParser {
  #buffer: Buffer = Buffer.alloc(0);
  #skipSslAnswer: boolean;
  #stopped = false;
  readonly #onReady: () => void;

  constructor(skipSslAnswer: boolean, onReady: () => void) {
    this.#skipSslAnswer = skipSslAnswer;
    this.#onReady = onReady;
  }

  stop(): void {
    this.#stopped = true;
    this.#buffer = Buffer.alloc(0);
  }

  push(chunk: Buffer): void {
    if (this.#stopped) return;
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    if (this.#skipSslAnswer && this.#buffer.length > 0) {
      this.#buffer = this.#buffer.subarray(1);
      this.#skipSslAnswer = false;
    }
    for (;;) {
      if (this.#buffer.length < 5) return;
      const length = this.#buffer.readInt32BE(1);
      if (this.#buffer.length < 1 + length) return;
      if (this.#buffer[0] === "Z".charCodeAt(0)) this.#onReady();
      this.#buffer = this.#buffer.subarray(1 + length);
    }
  }
}

/** Parses one client's frontend stream and reports what it sees. */
class FrontendParser {
  #buffer: Buffer = Buffer.alloc(0);
  #startupDone = false;
  #pendingFunction: string | undefined;
  #stopped = false;
  readonly #onStartup: () => void;
  readonly #onRoundTrip: (fn: string) => void;

  constructor(onStartup: () => void, onRoundTrip: (fn: string) => void) {
    this.#onStartup = onStartup;
    this.#onRoundTrip = onRoundTrip;
  }

  stop(): void {
    this.#stopped = true;
    this.#buffer = Buffer.alloc(0);
  }

  push(chunk: Buffer): void {
    if (this.#stopped) return;
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    for (;;) {
      if (!this.#startupDone) {
        if (this.#buffer.length < 8) return;
        const length = this.#buffer.readInt32BE(0);
        if (this.#buffer.length < length) return;
        const code = this.#buffer.readInt32BE(4);
        this.#buffer = this.#buffer.subarray(length);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST || code === CANCEL_REQUEST) continue;
        this.#startupDone = true;
        this.#onStartup();
        continue;
      }
      if (this.#buffer.length < 5) return;
      const type = String.fromCharCode(this.#buffer[0]!);
      const length = this.#buffer.readInt32BE(1);
      if (this.#buffer.length < 1 + length) return;
      const body = this.#buffer.subarray(5, 1 + length);
      this.#buffer = this.#buffer.subarray(1 + length);
      if (type === "Q") {
        this.#onRoundTrip(functionOf(body.toString("utf8", 0, Math.max(0, body.length - 1))));
      } else if (type === "P") {
        this.#pendingFunction = functionOf(parseMessageQuery(body));
      } else if (type === "S") {
        this.#onRoundTrip(this.#pendingFunction ?? "other");
        this.#pendingFunction = undefined;
      }
    }
  }
}

export async function startPgCountingProxy(upstreamUrl: string, host = "127.0.0.1"): Promise<PgCountingProxy> {
  const upstream = new URL(upstreamUrl);
  const upstreamHost = upstream.hostname.replace(/^\[|\]$/g, "");
  const upstreamPort = Number(upstream.port || 5432);
  let counts = emptyCounts();
  const sockets = new Set<Socket>();

  const server = createServer((client) => {
    sockets.add(client);
    const db = connect({ host: upstreamHost, port: upstreamPort });
    sockets.add(db);
    let sslAsked = false;
    let firstServerByte = true;
    const arrived = performance.now();
    // Round trips waiting for their ReadyForQuery: [function, sent at]; the first Z answers the startup.
    const waiting: Array<[string, number]> = [["(connect)", arrived]];
    const observe = (key: string, ms: number) => {
      const l = (counts.latency_ms[key] ??= { n: 0, total: 0, max: 0 });
      l.n++;
      l.total += ms;
      l.max = Math.max(l.max, ms);
    };
    const parser = new FrontendParser(
      () => {
        counts.connections++;
      },
      (fn) => {
        counts.query_round_trips++;
        counts.by_function[fn] = (counts.by_function[fn] ?? 0) + 1;
        waiting.push([fn, performance.now()]);
      },
    );
    let backend: BackendParser | undefined;
    client.on("data", (chunk: Buffer) => {
      if (!sslAsked && !backend && chunk.length >= 8 && chunk.readInt32BE(4) === SSL_REQUEST) sslAsked = true;
      parser.push(chunk);
      db.write(chunk);
    });
    db.on("data", (chunk: Buffer) => {
      if (sslAsked && firstServerByte && chunk[0] === "S".charCodeAt(0)) {
        // The rest is TLS: pass it through without reading it.
        parser.stop();
        counts.unreadable_connections++;
      }
      backend ??= new BackendParser(sslAsked, () => {
        const next = waiting.shift();
        if (next) observe(next[0], performance.now() - next[1]);
      });
      if (!(sslAsked && firstServerByte && chunk[0] === "S".charCodeAt(0))) backend.push(chunk);
      else backend.stop();
      firstServerByte = false;
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      db.destroy();
      sockets.delete(client);
      sockets.delete(db);
    };
    client.on("close", end);
    db.on("close", end);
    client.on("error", end);
    db.on("error", end);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the database proxy has no TCP address");
  const url = new URL(upstreamUrl);
  url.hostname = host;
  url.port = String(address.port);

  let closed: Promise<void> | undefined;
  return {
    url: url.toString(),
    counts: () => ({
      ...counts,
      by_function: { ...counts.by_function },
      latency_ms: Object.fromEntries(Object.entries(counts.latency_ms).map(([k, v]) => [k, { ...v }])),
    }),
    reset() {
      counts = emptyCounts();
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      });
      return closed;
    },
  };
}
