/** Who dismissed a threat and when: the threat history a household reads back. */
import type { Threat } from "./model.ts";

export interface ThreatDismissal {
  threatId: string;
  /** Epoch seconds (wall clock): when the person acted. */
  at: number;
  /** Who, as the client said ("live view"), or the client's address. */
  by: string;
}

/** A threat with its latest dismissal, if any. */
export type ThreatWithDismissal = Threat & { dismissal: ThreatDismissal | null };
