/**
 * What a user says about a device (name, type, notes, known). Kept apart from what fingerprinting
 * infers, so no guess ever overwrites it and the guess stays visible as a suggestion.
 */
import type { Device, DeviceType } from "./model.ts";

export const DEVICE_TYPES: readonly DeviceType[] = [
  "phone", "computer", "tablet", "tv", "speaker", "camera", "printer", "iot", "game_console", "router", "nas", "unknown",
];

export interface DeviceEdit {
  deviceId: string;
  /** null: no name given (the guess is shown). */
  name: string | null;
  type: DeviceType | null;
  notes: string | null;
  /** The household knows this device: no "new device" alert for it. */
  known: boolean;
  /** Epoch seconds (wall clock) of the last change. */
  updatedAt: number;
}

/** A PATCH: absent fields stay; null clears a name, type or notes. */
export interface DeviceEditPatch {
  name?: string | null;
  type?: DeviceType | null;
  notes?: string | null;
  known?: boolean;
}

/** A device with the user's edit, if any. */
export type EditedDevice = Device & { edit: DeviceEdit | null };

export function applyPatch(deviceId: string, prev: DeviceEdit | undefined, patch: DeviceEditPatch, now: number): DeviceEdit {
  const blank = (s: string | null | undefined) => (s === undefined ? undefined : s === null || s.trim() === "" ? null : s.trim());
  return {
    deviceId,
    name: blank(patch.name) === undefined ? prev?.name ?? null : blank(patch.name)!,
    type: patch.type === undefined ? prev?.type ?? null : patch.type,
    notes: blank(patch.notes) === undefined ? prev?.notes ?? null : blank(patch.notes)!,
    known: patch.known ?? prev?.known ?? false,
    updatedAt: now,
  };
}

export function withEdit(d: Device, edit: DeviceEdit | undefined): EditedDevice {
  return { ...d, edit: edit ?? null };
}
