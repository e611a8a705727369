import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/env.ts";
import { callbackUrlProblem } from "../../../src/lib/callback-url.ts";

const production = parseConfig({ ENVIRONMENT: "production", CALLBACK_ALLOWED_HOSTS: "hooks.example.com,*.supabase.co,127.0.0.1,10.0.0.5" }).env;
const development = parseConfig({ ENVIRONMENT: "development", CALLBACK_ALLOWED_HOSTS: "127.0.0.1,hooks.example.com" }).env;

describe("callback_url policy (unit)", () => {
  it.each([
    "https://hooks.example.com/enrichment",
    "https://abcd.supabase.co/functions/v1/receive-enrichment",
  ])("allows %s in production", (url) => {
    expect(callbackUrlProblem(url, production)).toBeNull();
  });

  it.each([
    ["http://hooks.example.com/x", /https/],
    ["https://evil.example.com/x", /not in CALLBACK_ALLOWED_HOSTS/],
    ["https://127.0.0.1/x", /private or loopback/],
    ["https://10.0.0.5/x", /private or loopback/],
    ["https://169.254.169.254/latest/meta-data", /private or loopback/],
    ["https://[::1]/x", /private or loopback/],
    ["https://localhost/x", /private or loopback/],
    ["https://user:pass@hooks.example.com/x", /credentials/],
    ["ftp://hooks.example.com/x", /https/],
    ["not a url", /not a valid URL/],
  ])("refuses %s in production", (url, reason) => {
    expect(callbackUrlProblem(url, production)).toMatch(reason);
  });

  it("outside production, a listed loopback host may use http (the local emulators)", () => {
    expect(callbackUrlProblem("http://127.0.0.1:8788/callback", development)).toBeNull();
    expect(callbackUrlProblem("http://10.1.2.3/callback", development)).toMatch(/https/);
  });

  it("with no allowed hosts, every callback is refused", () => {
    const none = parseConfig({ ENVIRONMENT: "production" }).env;
    expect(callbackUrlProblem("https://hooks.example.com/x", none)).toMatch(/CALLBACK_ALLOWED_HOSTS is empty/);
  });
});
