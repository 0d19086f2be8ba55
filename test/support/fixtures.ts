/** Region specs the tests and the bench send. */

export const primary = { name: "us-east-1", primary: true, app: { replicas: 1 } };
export const replica = (name: string): { name: string; app: { replicas: number } } => ({ name, app: { replicas: 1 } });

/** The README's three-region example fleet. */
export const EXAMPLE_FLEET = [
  { name: "us-east-1", primary: true, app: { replicas: 2 } },
  { name: "eu-west-1", app: { replicas: 2 } },
  { name: "ap-south-1", app: { replicas: 2 } },
];
