// The wizard's shared state: which step is open, and what one step hands to
// the next (the admin identity, a request to start applying).
import type { CallerIdentity } from "./api";

export const wizard = $state({
  current: "doctor",
  identity: null as CallerIdentity | null,
  startApply: false,
});

export function go(step: string) {
  wizard.current = step;
}
