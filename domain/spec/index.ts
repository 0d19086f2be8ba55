/** The region spec, the fleet-wide settings, stack configs and their resolution against the fleet. */
export * from "./regionSpec";
export * from "./fleetSettings";
export * from "./stackConfig";
export * from "./cidr";
export * from "./awsRegions";
export * from "./defaults";
export * from "./validateRegion";
