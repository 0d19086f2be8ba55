/** Step actions as a tuple for zod enums (mirrors the planner's PlannedAction). */
import type { PlanAction } from "../domain";

export const PLAN_ACTION_LIST = ["up", "preview", "refresh", "destroy", "promote", "validate"] as const satisfies readonly PlanAction[];
