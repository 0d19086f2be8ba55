/**
 * Authentication and authorization middleware. `authenticate` resolves the bearer token to a
 * principal (401 when missing or unknown); `requireRole` guards a route (403 when too low).
 */
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { AuthenticationError, NotAllowedError } from "../errors";
import { authenticate, roleAtLeast, type Principal, type Role, type TokenEntry } from "./tokens";

export function principalOf(res: Response): Principal | undefined {
  return (res.locals as { principal?: Principal }).principal;
}

export function authenticateRequests(entries: readonly TokenEntry[]): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.get("authorization");
    const match = header === undefined ? null : /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
    if (!match?.[1]) {
      next(new AuthenticationError(header === undefined ? "missing bearer token" : "malformed Authorization header: use Bearer <token>"));
      return;
    }
    const principal = authenticate(entries, match[1]);
    if (!principal) {
      next(new AuthenticationError("unknown token"));
      return;
    }
    (res.locals as { principal?: Principal }).principal = principal;
    next();
  };
}

export function requireRole(role: Role): RequestHandler {
  return (_req: Request, res: Response, next: NextFunction) => {
    const p = principalOf(res);
    if (!p) {
      next(new AuthenticationError());
      return;
    }
    if (!roleAtLeast(p.role, role)) {
      next(new NotAllowedError(`this needs the ${role} role; ${p.name} is ${p.role}`));
      return;
    }
    next();
  };
}
