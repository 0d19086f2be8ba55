/**
 * Pulumi mocks that record every registration, for component tests. Call `recordRegistrations`
 * at module top level, before the module under test is loaded (see sdk-facts §4).
 */
import * as pulumi from "@pulumi/pulumi";

export interface Registration {
  type: string;
  name: string;
  inputs: any;
  custom: boolean | undefined;
}

/** Installs mocks that echo inputs as state and returns the (live) list of registrations. */
export function recordRegistrations(project: string, stack: string): Registration[] {
  const registrations: Registration[] = [];
  void pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registrations.push({ type: args.type, name: args.name, inputs: args.inputs, custom: args.custom });
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: (args) => args.inputs,
    },
    project,
    stack,
  );
  return registrations;
}

export const valueOf = <T>(o: pulumi.Output<T>): Promise<T> =>
  new Promise((resolve) => o.apply((v) => {
    resolve(v);
    return v;
  }));
