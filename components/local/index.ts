/**
 * What the local target offers code outside it (the drills): reading a daemon's pidfile the way
 * the provider does (as the daemon user when running as root, so a path the daemon controls is
 * never followed with root's rights), and the short-lived Redis connection the provider uses.
 * Everything else under components/local is its own.
 */
export { readPidFile } from "./impl/proc";
export { withRedis } from "./redisClient";
