// The wizard's shared state: which step is open, and what one step hands to
// the next (the admin identity, a request to start applying, a teardown the
// Status window asked the review to plan).
import type { CallerIdentity } from "./api";

export const wizard = $state({
  current: "doctor",
  identity: null as CallerIdentity | null,
  startApply: false,
  teardown: null as { delete_repositories: boolean } | null,
  removeStrays: false,
});

export function go(step: string) {
  wizard.current = step;
}
