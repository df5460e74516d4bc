import type { PartProfile } from "../config/schema.js";
import type { ConnectInstructions, ConnectSection } from "./provider.js";

/** How a part is named to people and in the audit log: its profile and its grant type. */
export function partLabel(part: PartProfile): string {
  return `${part.id} (${part.grant.type})`;
}

/** "2026-12-02 14:32 UTC": instructions are plain text, read in a DM or a terminal. */
function utc(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/**
 * Who ends a part, and when: the cluster itself (to the second) for a part it enforces, the cloud's
 * own end when it has one, else jitbot's at the grant's end.
 */
export function endsSentence(
  part: PartProfile,
  expiresAt: Date,
  providerExpiresAt?: Date,
  enforcedBy?: string,
): string {
  if (enforcedBy) {
    const second = `${expiresAt.toISOString().slice(0, 19).replace("T", " ")} UTC`;
    return `Ends: enforced by ${enforcedBy}: ends at ${second} (jitbot removes it then; the next request is refused).`;
  }
  const jitbot = `jitbot removes it at ${utc(expiresAt)}`;
  if (!providerExpiresAt) return `Ends: ${jitbot}.`;
  return `Ends: ${part.grant.type} ends it itself at ${utc(providerExpiresAt)}; ${jitbot} at the latest.`;
}

export interface PartInstructions {
  part: PartProfile;
  instructions: ConnectInstructions;
  providerExpiresAt?: Date;
}

/**
 * One DM for every part: a section per part saying what it is and which part ends where, then that
 * part's own steps under headings that name it. A part's secrets stay marked secret, so the DM's
 * redaction after the end removes them as it would for a single grant.
 */
export function mergeInstructions(parts: readonly PartInstructions[], expiresAt: Date): ConnectInstructions {
  const sections: ConnectSection[] = [];
  const notes: string[] = [];
  parts.forEach(({ part, instructions, providerExpiresAt }, index) => {
    const label = partLabel(part);
    sections.push({
      heading: `Part ${index + 1} of ${parts.length}: ${label}`,
      text: `${instructions.summary}\n${endsSentence(part, expiresAt, providerExpiresAt, instructions.endEnforcedBy)}`,
    });
    for (const section of instructions.sections)
      sections.push({ ...section, heading: `${label} · ${section.heading}` });
    for (const note of instructions.notes) {
      const line = `${label}: ${note}`;
      if (!notes.includes(line)) notes.push(line);
    }
  });
  return {
    summary: `This access has ${parts.length} parts, granted together and ended together: ${parts.map((p) => partLabel(p.part)).join(", ")}.`,
    sections,
    notes,
  };
}
