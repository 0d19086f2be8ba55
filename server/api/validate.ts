/** Request validation: zod issues become one InputError listing every bad field by path. */
import type { z } from "zod";
import { InputError, type FieldProblem } from "../errors";

export type RequestPart = "body" | "query" | "params";

/** Zod issues → problems, one per bad field (unknown keys are named one by one). */
export function problemsOf(issues: readonly z.core.$ZodIssue[], prefix = ""): FieldProblem[] {
  const out: FieldProblem[] = [];
  const join = (segs: readonly PropertyKey[]): string => [prefix, ...segs.map(String)].filter((s) => s !== "").join(".");
  for (const i of issues) {
    if (i.code === "unrecognized_keys") {
      for (const key of i.keys) out.push({ path: join([...i.path, key]), message: "is not a known field" });
    } else if (i.code === "invalid_union" && i.errors.length > 0) {
      const first = i.errors[0] ?? [];
      out.push(...problemsOf(first.map((e) => ({ ...e, path: [...i.path, ...e.path] })), prefix));
    } else {
      out.push({ path: join(i.path), message: i.message });
    }
  }
  return out;
}

/** Parses one part of a request or throws a 400 naming every bad field (query/params paths are prefixed). */
export function parsePart<S extends z.ZodType>(schema: S, value: unknown, part: RequestPart): z.output<S> {
  const res = schema.safeParse(value);
  if (res.success) return res.data;
  const details = problemsOf(res.error.issues, part === "body" ? "" : part);
  throw new InputError(`invalid ${part}: ${details.map((d) => d.path || "(body)").join(", ")}`, details);
}
