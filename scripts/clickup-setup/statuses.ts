/** clickup:setup, the statuses each list needs (the API cannot edit them: it says what to add where). */
import { INTAKE_STATUSES, LEAD_STATUSES, normalizeName } from "../../src/clickup/config.ts";
import { SEGMENTS } from "../../src/lib/segment.ts";
import type { ListInfo, Provisioned, SetupContext } from "./setup.types.ts";

export function checkStatuses(ctx: SetupContext, spaceLabel: string, intake: ListInfo, leadLists: Provisioned["leadLists"]): { statusIds: Provisioned["statusIds"]; statusNames: Provisioned["statusNames"] } {
  const { step } = ctx;
  // Statuses (the API cannot edit them: say what to add where).
  const statusIds: Provisioned["statusIds"] = [];
  const checkStatuses = (info: ListInfo, needed: Record<string, string>, keyPrefix: string): Partial<Record<string, string>> => {
    const found: Partial<Record<string, string>> = {};
    const missing: string[] = [];
    for (const [key, name] of Object.entries(needed)) {
      const s = info.list.statuses.find((x) => normalizeName(x.status) === normalizeName(name));
      if (s) {
        found[key] = s.status;
        statusIds.push({ key: `${keyPrefix}:${key}`, id: s.id ?? s.status, name: s.status, list_id: info.id });
      } else missing.push(name);
    }
    if (missing.length > 0) {
      step({
        kind: "status",
        where: `list ${info.label} (${info.id})`,
        instruction: `In list ${info.label} of ${spaceLabel}, add the status${missing.length > 1 ? "es" : ""} ${missing.map((m) => `"${m}"`).join(", ")} (in the list's own statuses, or in the space's statuses if the list inherits them). The list needs: ${Object.values(needed).join(" / ")}.`,
      });
    }
    return found;
  };
  const intakeStatusNames = checkStatuses(intake, INTAKE_STATUSES, "intake");
  const leadStatusNames: Partial<Record<string, string>> = {};
  for (const segment of SEGMENTS) {
    const found = checkStatuses(leadLists[segment], LEAD_STATUSES, `leads:${segment}`);
    if (segment === "high-end") Object.assign(leadStatusNames, found);
    else for (const key of Object.keys(LEAD_STATUSES)) if (!found[key]) delete leadStatusNames[key];
  }
  return { statusIds, statusNames: { intake: intakeStatusNames, leads: leadStatusNames } };
}
