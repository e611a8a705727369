// Scripted Perplexity answers, for tests that need a model answering something the fixture world
// would not (out of range, implausible, not JSON). Like the Anthropic emulator's scripts:
// `POST /__emulator/perplexity/script` with {match?: {contains?, schemaName?}, response?|responses?,
// repeat?} (or {scripts: [...]}); `DELETE` clears them, `GET` lists them. A scripted answer replaces
// only the message text (and usage); search results still come from the world.

type Obj = { [key: string]: unknown };
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

export interface PerplexityScriptMatch {
  /** The instructions + input contain this text (case-insensitive). */
  contains?: string;
  /** `response_format.json_schema.name` equals this. */
  schemaName?: string;
}

export type PerplexityScriptedResponse =
  /** The message text is this value as JSON. */
  | { json: unknown }
  /** The message text, as is. */
  | { text: string }
  /** An error in Perplexity's envelope. */
  | { error: { status: number; type?: string; message?: string } };

export interface PerplexityScriptSpec {
  match?: PerplexityScriptMatch;
  response?: PerplexityScriptedResponse;
  responses?: PerplexityScriptedResponse[];
  repeat?: boolean;
  id?: string;
}

interface ActiveScript {
  id: string;
  match: PerplexityScriptMatch;
  queue: PerplexityScriptedResponse[];
  repeat: boolean;
  used: number;
}

export class PerplexityScripts {
  private scripts: ActiveScript[] = [];
  private next = 1;

  add(spec: PerplexityScriptSpec): string {
    const queue = spec.responses ?? (spec.response ? [spec.response] : []);
    if (queue.length === 0) throw new Error("a script needs `response` or `responses`");
    if (spec.match !== undefined && !isObj(spec.match)) throw new Error("match must be an object {contains?, schemaName?}");
    const id = spec.id ?? `script_${this.next++}`;
    this.scripts.push({ id, match: spec.match ?? {}, queue: [...queue], repeat: spec.repeat ?? false, used: 0 });
    return id;
  }

  clear(): void {
    this.scripts = [];
  }

  list(): { id: string; remaining: number; repeat: boolean; used: number }[] {
    return this.scripts.map((s) => ({ id: s.id, remaining: s.queue.length, repeat: s.repeat, used: s.used }));
  }

  /** The next scripted answer for this request, if a script matches (consumed in order). */
  take(text: string, schemaName: string | undefined): PerplexityScriptedResponse | undefined {
    const script = this.scripts.find(
      (s) => (!s.match.contains || text.toLowerCase().includes(s.match.contains.toLowerCase())) && (!s.match.schemaName || s.match.schemaName === schemaName),
    );
    if (!script) return undefined;
    script.used++;
    const response = script.queue.length > 1 || !script.repeat ? script.queue.shift()! : script.queue[0]!;
    if (script.queue.length === 0) this.scripts = this.scripts.filter((s) => s !== script);
    return response;
  }

  /** The control route; undefined when the request is not for it. */
  control(method: string, path: string, body: unknown): { status: number; body: unknown } | undefined {
    if (path !== "/__emulator/perplexity/script") return undefined;
    if (method === "POST") {
      try {
        const specs = isObj(body) && Array.isArray(body.scripts) ? body.scripts : [body];
        const ids = specs.map((s) => {
          if (!isObj(s)) throw new Error("script must be an object");
          return this.add(s as PerplexityScriptSpec);
        });
        return { status: 201, body: { ids } };
      } catch (error) {
        return { status: 400, body: { error: { code: "invalid_script", message: (error as Error).message } } };
      }
    }
    if (method === "DELETE") {
      this.clear();
      return { status: 200, body: { cleared: true } };
    }
    if (method === "GET") return { status: 200, body: { scripts: this.list() } };
    return { status: 405, body: { error: { code: "method_not_allowed", message: `${method} not allowed` } } };
  }
}
