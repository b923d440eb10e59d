/**
 * The Node host's own engine options, in the shape `parseEngineOptions` checks them with
 * (beside core's): what each means and its default are on {@link NodeHostOptions} and
 * {@link IsolationOptions}.
 */
import { oneOfOption, PackageNameSchema, wholeNumberOption } from "@wasmbox/core";
import { z } from "zod";

const CACHE_DIR = "must be a directory path (a non-empty string) or false";

export const NODE_HOST_OPTION_SHAPE = {
  isolation: z
    .strictObject({
      osSandbox: oneOfOption(["auto", "require", "off"]).optional(),
      cgroups: oneOfOption(["auto", "off"]).optional(),
      networkNamespace: oneOfOption(["auto", "require", "off"]).optional(),
      dropPrivileges: oneOfOption(["auto", "off"]).optional(),
      // 0 is root (dropping to it drops nothing); 2^32 - 1 is (uid_t)-1, "no change".
      uid: wholeNumberOption(1, 2 ** 32 - 2).optional(),
      gid: wholeNumberOption(1, 2 ** 32 - 2).optional(),
    })
    .optional(),
  startTimeoutMs: wholeNumberOption(1, 3_600_000, " of milliseconds").optional(),
  cacheDir: z
    .union([z.string().min(1, { error: CACHE_DIR }), z.literal(false)], { error: CACHE_DIR })
    .optional(),
  precompiledHeaders: z.boolean({ error: "must be true or false" }).optional(),
  packages: z
    .strictObject({
      detectImports: z.boolean({ error: "must be true or false" }).optional(),
      preload: z.array(z.array(PackageNameSchema).min(1, { error: "a package set names at least one package" }).max(64), { error: "must be a list of package sets (lists of names)" }).max(16).optional(),
      log: z.custom<(message: string) => void>((v) => typeof v === "function", { error: "must be a function" }).optional(),
    })
    .optional(),
} satisfies z.ZodRawShape;
