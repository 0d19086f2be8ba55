/**
 * Pulumi.yaml's `main`: what a manual `pulumi up -s <stack>` runs, the same program the service
 * runs inline (./program.ts). Pulumi's Node.js runtime calls the exported function inside the root
 * stack and turns its resolved value into the stack's outputs.
 */
import { stackProgram } from "./program";

export = stackProgram;
