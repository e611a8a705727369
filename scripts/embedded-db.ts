// Embedded Postgres for development and tests: PGlite (Postgres compiled to WASM) behind
// @electric-sql/pglite-socket, so ordinary clients (`pg` for node-pg-migrate, `postgres` for the
// Worker) connect to it over TCP like to a server.
//
// PGlite is a single backend: the socket server multiplexes client connections onto it and keeps an
// open transaction to the connection that began it. Session state is shared by all connections,
// so a client that changes it (e.g. `SET ROLE`) should do so inside a transaction (`SET LOCAL`),
// and a connection idle inside a transaction holds up every other connection until it ends.
//
// pglite-socket 0.2.17 pins the backend to one connection only while a transaction block is open,
// so the messages of two concurrent extended-protocol queries (Parse/Bind/Execute/Sync) interleave
// and clobber each other's unnamed statement and portal ("portal \"\" does not exist"; upstream
// electric-sql/pglite#1046, fix proposed in #977). `pinExtendedQueries` below closes that gap until
// upstream does: the server also keeps the backend to the connection in the middle of a batch.
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";

export interface EmbeddedPostgresOptions {
  /** Directory to persist the database in; in memory when omitted. */
  dataDir?: string;
  /** TCP port; 0 or undefined picks a free port. */
  port?: number;
  /** Interface to bind; 127.0.0.1 by default. */
  host?: string;
  /** Start from this dump of a data directory (from `dumpDataDir()`) instead of an empty cluster. */
  initialData?: Blob;
}

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
  /** A gzipped tarball of the data directory, loadable with `initialData`. */
  dumpDataDir(): Promise<Blob>;
}

/** Concurrent client connections the socket server accepts (it must be > 1 for pools). */
const MAX_CONNECTIONS = 256;

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
  const host = opts.host ?? "127.0.0.1";
  let dataDir: string | undefined;
  if (opts.dataDir !== undefined && opts.dataDir !== "") {
    dataDir = resolve(opts.dataDir);
    await mkdir(dataDir, { recursive: true });
  }
  const db = await PGlite.create({
    ...(dataDir === undefined ? {} : { dataDir }),
    ...(opts.initialData === undefined ? {} : { loadDataDir: opts.initialData }),
  });
  const server = new PGLiteSocketServer({
    db: pinExtendedQueries(db),
    host,
    port: opts.port ?? 0,
    maxConnections: MAX_CONNECTIONS,
  });
  try {
    await server.start();
  } catch (error) {
    await db.close();
    throw error;
  }
  // getServerConn() is "<host>:<port>" with the port the OS assigned once listening.
  const conn = server.getServerConn();
  const port = Number(conn.slice(conn.lastIndexOf(":") + 1));
  const urlHost = host.includes(":") ? `[${host}]` : host;
  let stopped: Promise<void> | undefined;
  return {
    url: `postgres://postgres@${urlHost}:${port}/postgres`,
    dumpDataDir: () => db.dumpDataDir("gzip"),
    stop() {
      stopped ??= (async () => {
        await server.stop();
        await db.close();
      })();
      return stopped;
    },
  };
}

/** Frontend messages of the extended query protocol that leave a batch open until its Sync. */
const EXTENDED_BATCH_MESSAGES = new Set(["P", "B", "D", "E", "C", "H"].map((c) => c.charCodeAt(0)));
/** Messages that end a batch: Sync, simple Query, Terminate. */
const BATCH_END_MESSAGES = new Set(["S", "Q", "X"].map((c) => c.charCodeAt(0)));

/**
 * The socket server's view of the database: `isInTransaction()` also reports true while the last
 * connection served is between the first message of an extended-protocol batch and its Sync, which
 * makes the server's queue serve that connection's next message before anyone else's. Everything
 * else goes straight to the PGlite instance.
 */
function pinExtendedQueries(db: PGlite): PGlite {
  let batchOpen = false;
  const execProtocolRawStream: PGlite["execProtocolRawStream"] = (message, options) => {
    const type = message[0];
    if (type !== undefined && EXTENDED_BATCH_MESSAGES.has(type)) batchOpen = true;
    else if (type !== undefined && BATCH_END_MESSAGES.has(type)) batchOpen = false;
    return db.execProtocolRawStream(message, options);
  };
  const isInTransaction: PGlite["isInTransaction"] = () => batchOpen || db.isInTransaction();
  const exec: PGlite["exec"] = (query, options) => {
    // The server only calls exec() to roll back after a connection left mid-transaction.
    batchOpen = false;
    return db.exec(query, options);
  };
  return new Proxy(db, {
    get(target, property) {
      if (property === "execProtocolRawStream") return execProtocolRawStream;
      if (property === "isInTransaction") return isInTransaction;
      if (property === "exec") return exec;
      const value: unknown = Reflect.get(target, property, target);
      // PGlite keeps its state in #private fields: methods must run with the real instance as `this`.
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

// CLI: `npx node scripts/embedded-db.ts [--port N] [--data-dir DIR]` keeps a server running.
if (import.meta.main) {
  const { values } = (await import("node:util")).parseArgs({
    options: {
      port: { type: "string" },
      host: { type: "string" },
      "data-dir": { type: "string" },
    },
  });
  const server = await startEmbeddedPostgres({
    port: values.port === undefined ? undefined : Number(values.port),
    host: values.host,
    dataDir: values["data-dir"],
  });
  console.log(JSON.stringify({ event: "embedded_postgres_started", url: server.url }));
  const shutdown = (): void => {
    void server.stop().then(() => process.exit(0));
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}
