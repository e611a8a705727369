// Outreach settings: the stored row over the environment, demo mode never in production, and the
// configuration problems a rep's refusal comment names.
import { describe, expect, it } from "vitest";
import { ConfigSchema } from "../../../src/env.ts";
import { outreachConfigurationProblem, parseSender, resolveOutreachSettings } from "../../../src/outreach/settings.ts";

const env = (vars: Record<string, string>) => ConfigSchema.parse({ ENVIRONMENT: "development", ...vars });

describe("outreach settings", () => {
  it("take the stored value over the environment, and the environment over the defaults", () => {
    const { settings, problems } = resolveOutreachSettings(
      env({ OUTREACH_DAILY_CAP: "20", OUTREACH_SEND_WINDOW: "09:00-12:00", OUTREACH_DEFAULT_SENDER: "Ann Lee <ann@x.test>", MAILGUN_DOMAIN: "mg.x.test" }),
      { daily_cap: 7, send_window: { days: [1, 2, 3] }, delays_business_days: { "2": 5 } },
    );
    expect(problems).toEqual([]);
    expect(settings.dailyCap).toBe(7);
    expect(settings.window).toEqual({ start: "09:00", end: "12:00", days: [1, 2, 3], skipHolidays: true });
    expect(settings.delays).toEqual({ 2: 5, 3: 4 });
    expect(settings.spacingMs).toBe(60_000);
    expect(settings.defaultSender).toEqual({ email: "ann@x.test", name: "Ann Lee" });
    expect(settings.replyTo).toBe("reply@mg.x.test");
  });

  it("ignore a stored value that does not parse, and say so", () => {
    const { settings, problems } = resolveOutreachSettings(env({}), { daily_cap: -1 });
    expect(settings.dailyCap).toBe(50);
    expect(problems).toEqual([expect.stringContaining("daily_cap")]);
  });

  it("refuse demo mode in production, and keep it elsewhere", () => {
    const production = resolveOutreachSettings(ConfigSchema.parse({ ENVIRONMENT: "production", OUTREACH_DEMO_MODE: "1" }), null);
    expect(production.settings.demo).toBe(false);
    expect(production.problems).toEqual([expect.stringContaining("refused in production")]);
    expect(resolveOutreachSettings(env({ OUTREACH_DEMO_MODE: "1" }), null).settings.demo).toBe(true);
  });

  it("name what is missing before a sequence may start: Mailgun, the postal address, unsubscribe links, a sender", () => {
    const full = { MAILGUN_API_KEY: "k", MAILGUN_DOMAIN: "mg.x.test", OUTREACH_POSTAL_ADDRESS: "1 Main St", APP_URL: "https://app.x.test", UNSUBSCRIBE_SIGNING_SECRET: "s" };
    const check = (vars: Record<string, string>, sender?: null) => outreachConfigurationProblem(env(vars), resolveOutreachSettings(env(vars), null).settings, sender);
    expect(check(full)).toBeNull();
    expect(check({ ...full, MAILGUN_API_KEY: "" })).toMatch(/MAILGUN_API_KEY/);
    expect(check({ ...full, OUTREACH_POSTAL_ADDRESS: "" })).toMatch(/postal address/);
    expect(check({ ...full, UNSUBSCRIBE_SIGNING_SECRET: "" })).toMatch(/unsubscribe links/);
    expect(check(full, null)).toMatch(/no sender mailbox/);
  });

  it("parse a sender as 'Name <address>' or a bare address, and refuse anything else", () => {
    expect(parseSender("Sam Rivers <sam@mg.x.test>")).toEqual({ email: "sam@mg.x.test", name: "Sam Rivers" });
    expect(parseSender("sam@mg.x.test")).toEqual({ email: "sam@mg.x.test", name: "sam" });
    expect(parseSender("not an address")).toBeNull();
  });
});
