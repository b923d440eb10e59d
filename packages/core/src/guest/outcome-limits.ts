import { VALUE_MAX_BYTES, type GuestOutcome } from "../runtime.js";
import { capRichOutputs } from "./rich-outputs.js";

/**
 * An outcome cut to what the run may return: error text at most `maxOutputBytes` each (the
 * host cuts again, and to less), and no value whose JSON is larger (flagged instead, so the
 * host reports the output limit), rich outputs within their caps (the runtime said what it
 * dropped). Keeps the frame within the host's caps.
 */
export function outcomeWithinLimits(outcome: GuestOutcome, maxOutputBytes: number): GuestOutcome & { valueTooLarge?: true } {
  const cut = (text: string, max: number) => (text.length > max ? text.slice(0, max) : text);
  const limit = Math.min(maxOutputBytes, VALUE_MAX_BYTES);
  const error = outcome.error ? { ...outcome.error, message: cut(String(outcome.error.message), 16 * 1024), traceback: cut(String(outcome.error.traceback), limit) } : null;
  let tooLarge = false;
  if (outcome.value !== null && outcome.value !== undefined) {
    try {
      tooLarge = JSON.stringify(outcome.value).length > limit;
    } catch {
      tooLarge = true;
    }
  }
  const outputs = capRichOutputs(outcome.outputs ?? []).kept;
  return { ...outcome, error, outputs, ...(tooLarge ? { value: null, valueTooLarge: true as const } : {}) };
}
