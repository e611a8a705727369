// The latency profile the benchmark runs the emulators with.
//
// By default: the realistic profile's own numbers (sandbox/core/latency.ts) without their random
// spread, every call taking its mean. Then the critical path computed from the profile is exactly
// the path the emulators impose on the run, and wall / critical path measures the orchestration
// alone. With `--jitter` the emulators sample the profile's distributions as they do elsewhere; the
// ratio then also carries the cost of variance (the slowest of parallel branches is slower than
// their means), which no orchestration can avoid either.

import { type LatencyFn, type LatencyProfile, meanOf, realisticProfile } from "../../sandbox/core/latency.ts";

export function meanProfile(profile: LatencyProfile): LatencyProfile {
  return {
    name: `${profile.name} (means)`,
    rules: profile.rules.map((rule) => {
      const latency = rule.latency;
      if (typeof latency !== "function") return { route: rule.route, latency: meanOf(latency) };
      const fn: LatencyFn = (req, res) => meanOf(latency(req, res));
      return { route: rule.route, latency: fn };
    }),
  };
}

export function benchProfile(jitter: boolean): LatencyProfile {
  return jitter ? realisticProfile : meanProfile(realisticProfile);
}
