// Jina Reader emulator: `GET /<target-url>` (also `POST /` with `{"url": ...}`) returning the page of
// the fixture world as markdown.
//
// - Default: `text/plain` in Jina's layout ("Title: …\n\nURL Source: …\n\nMarkdown Content:\n…").
// - `Accept: application/json` → `{code: 200, status: 20000, data: {title, description, url, content,
//   usage: {tokens}}, meta: {usage: {tokens}}}`.
// - `X-Return-Format: text|markdown|html` respected loosely (html wraps the markdown in <pre>).
// - `Authorization: Bearer` optional (Jina serves anonymous requests at a lower rate limit); a key
//   outside `apiKeys` (when given) → 401.
// - Unknown host (or a world site that is down) → 422 `{code: 422, name: "AssertionFailureError",
//   status: 42206, message: "Failed to goto …"}` like Jina when it cannot load the page; a known site
//   with an unknown path → 200 with the site's 404 page and a `Warning: Target URL returned error 404`
//   line, which is how Jina passes through origin errors.
// - LinkedIn profile URLs → the login wall (Jina cannot read LinkedIn profiles).
// - Cloud metadata / private addresses (e.g. http://169.254.169.254/…) → 422: Jina does not fetch them.

import { createEmulatorServer, type EmulatorResponse, type EmulatorServer, json } from "../core/server.ts";
import type { FaultShaper } from "../core/faults.ts";
import { knownHost, pageByUrl } from "../world/index.ts";

export const jinaFaultShaper: FaultShaper = (kind, status, message, fault): ReturnType<FaultShaper> => {
  if (kind === "rate_limit") {
    return {
      body: { data: null, code: 429, name: "RateLimitTriggeredError", status: 42903, message: message ?? "Per IP rate limit exceeded", readableMessage: `RateLimitTriggeredError: ${message ?? "Per IP rate limit exceeded"}` },
      headers: { "retry-after": String(fault.retryAfter ?? 1) },
    };
  }
  const m = message ?? "Injected error";
  return { body: { data: null, code: status, name: "ServiceCrashedError", status: status * 100, message: m, readableMessage: `ServiceCrashedError: ${m}` } };
};

function jinaError(status: number, name: string, message: string): EmulatorResponse {
  return json(status, { data: null, code: status, name, status: status * 100 + 6, message, readableMessage: `${name}: ${message}` });
}

const estimateTokens = (s: string): number => Math.max(1, Math.ceil(s.length / 4));

export interface JinaEmulatorOptions {
  port?: number;
  host?: string;
  apiKeys?: string[];
}

function isPrivateTarget(u: URL): boolean {
  const h = u.hostname;
  return h === "localhost" || h === "metadata.google.internal" || /^(127\.|10\.|192\.168\.|169\.254\.|172\.(1[6-9]|2\d|3[01])\.|0\.)/.test(h) || h === "[::1]";
}

export async function startJinaEmulator(opts: JinaEmulatorOptions = {}): Promise<EmulatorServer> {
  return createEmulatorServer({
    name: "jina",
    port: opts.port,
    host: opts.host,
    routes: ["GET /http*", "POST /"],
    faultShaper: jinaFaultShaper,
    handler: (req) => {
      const auth = req.headers.authorization;
      if (auth) {
        const key = auth.match(/^Bearer\s+(.+)$/i)?.[1];
        if (!key || (opts.apiKeys && !opts.apiKeys.includes(key))) return jinaError(401, "AuthenticationFailedError", "Invalid API key, please get a new one from https://jina.ai");
      }
      let target: string | undefined;
      if (req.method === "POST" && req.path === "/") {
        const b = req.json as { url?: unknown } | undefined;
        target = typeof b?.url === "string" ? b.url : (req.form?.get("url") ?? undefined);
      } else if (req.method === "GET") {
        target = decodeURIComponent(req.path.slice(1));
        const qs = req.query.toString();
        if (qs && target) target += `?${qs}`;
      }
      if (!target) return jinaError(400, "ParamValidationError", "No URL provided");
      if (!/^https?:\/\//i.test(target)) target = `https://${target}`;
      let parsed: URL;
      try {
        parsed = new URL(target);
      } catch {
        return jinaError(400, "ParamValidationError", `Invalid URL: ${target}`);
      }
      if (isPrivateTarget(parsed)) return jinaError(422, "SecurityCompromiseError", `Suspicious action: Request to a private or reserved address is not allowed: ${parsed.hostname}`);

      const wantsJson = (req.headers.accept ?? "").includes("application/json");
      const format = (req.headers["x-return-format"] ?? "markdown").toLowerCase();
      const render = (title: string, url: string, description: string, content: string, warning?: string): EmulatorResponse => {
        const body = format === "html" ? `<html><body><pre>${content}</pre></body></html>` : content;
        const tokens = estimateTokens(body);
        if (wantsJson) {
          return json(200, {
            code: 200,
            status: 20000,
            data: { title, description, url, content: body, ...(warning ? { warning } : {}), usage: { tokens } },
            meta: { usage: { tokens } },
          });
        }
        const lines = [`Title: ${title}`, "", `URL Source: ${url}`, ""];
        if (warning) lines.push(`Warning: ${warning}`, "");
        lines.push(format === "html" ? "" : "Markdown Content:", body);
        return { status: 200, headers: { "content-type": "text/plain; charset=utf-8", "x-usage-tokens": String(tokens) }, body: lines.join("\n") };
      };

      if (/(^|\.)linkedin\.com$/.test(parsed.hostname)) {
        return render("Sign Up | LinkedIn", target, "", "# Join LinkedIn\n\nSign in to view this profile.\n\n[Sign in](https://www.linkedin.com/login) | [Join now](https://www.linkedin.com/signup)");
      }
      const host = knownHost(target);
      if (!host.known || host.course?.site_unreachable) {
        const reason = host.known ? "net::ERR_CONNECTION_TIMED_OUT" : "net::ERR_NAME_NOT_RESOLVED";
        return jinaError(422, "AssertionFailureError", `Failed to goto ${target}: Error: ${reason} at ${target}`);
      }
      const hit = pageByUrl(target);
      if (!hit) {
        return render("Page Not Found", target, "", "# 404\n\nSorry, the page you are looking for could not be found.", "Target URL returned error 404: Not Found");
      }
      return render(hit.page.title, hit.page.url, hit.page.description, hit.page.markdown);
    },
  });
}
