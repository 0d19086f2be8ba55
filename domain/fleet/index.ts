/** Fleet topology (derived facts) and operation planning. */
export * from "./topology";
export * from "./plan";
export * from "./prerequisites";
