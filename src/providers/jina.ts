import { z } from "zod";
import { providerFetch } from "./http.ts";
import { type Called, flatRate } from "./usage.ts";

const ReaderResponse = z.object({
  data: z.looseObject({ title: z.string().optional().default(""), url: z.string().optional(), content: z.string().default(""), warning: z.string().optional() }),
});

export interface Page {
  url: string;
  title: string;
  markdown: string;
  /** Jina's note when the site answered with an error page (e.g. 404). */
  warning: string | null;
}

export interface JinaClient {
  read(url: string): Promise<Called<Page>>;
}

/** Jina Reader: a page as markdown (JSON form). The key is optional (lower rate limit without one). */
export function createJinaClient(opts: { apiKey?: string | undefined; baseUrl: string; timeoutMs?: number }): JinaClient {
  return {
    async read(url) {
      const { data } = await providerFetch(
        {
          provider: "jina",
          url: `${opts.baseUrl}/${url}`,
          headers: { accept: "application/json", ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}) },
          timeoutMs: opts.timeoutMs ?? 30_000,
        },
        ReaderResponse,
      );
      return { value: { url: data.data.url ?? url, title: data.data.title, markdown: data.data.content, warning: data.data.warning ?? null }, usage: flatRate("jina") };
    },
  };
}
