/**
 * SQLite schema, as numbered migrations recorded in `schema_version`. Append only: never edit a
 * migration that has shipped; add the next one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: regions, stacks, operations, steps, events, audit
  `
  CREATE TABLE regions (
    name TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    spec TEXT NOT NULL,
    status TEXT NOT NULL,
    desired INTEGER NOT NULL DEFAULT 1,
    last_operation_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX regions_seq ON regions(seq);

  CREATE TABLE stacks (
    name TEXT PRIMARY KEY,
    fingerprint TEXT,
    outputs TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT NOT NULL
  );

  CREATE TABLE operations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    subjects TEXT NOT NULL,
    stacks TEXT NOT NULL,
    request TEXT NOT NULL,
    before_state TEXT NOT NULL,
    after_state TEXT NOT NULL,
    skipped TEXT NOT NULL,
    actor TEXT NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    error TEXT
  );
  CREATE INDEX operations_status ON operations(status, seq);
  CREATE INDEX operations_kind ON operations(kind, seq);

  CREATE TABLE operation_stacks (
    operation_seq INTEGER NOT NULL REFERENCES operations(seq),
    stack TEXT NOT NULL,
    subject INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (stack, operation_seq)
  );

  CREATE TABLE steps (
    operation_id TEXT NOT NULL REFERENCES operations(id),
    id TEXT NOT NULL,
    ord INTEGER NOT NULL,
    stack TEXT NOT NULL,
    action TEXT NOT NULL,
    why TEXT NOT NULL,
    depends_on TEXT NOT NULL,
    fingerprint TEXT,
    status TEXT NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0,
    started_at TEXT,
    finished_at TEXT,
    duration_ms INTEGER,
    summary TEXT,
    changes TEXT,
    note TEXT,
    error TEXT,
    PRIMARY KEY (operation_id, id)
  );
  CREATE INDEX steps_action_status ON steps(action, status);

  CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    operation_id TEXT NOT NULL,
    step_id TEXT,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    urn TEXT,
    op TEXT,
    severity TEXT
  );
  CREATE INDEX events_operation ON events(operation_id, id);

  CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status INTEGER NOT NULL,
    operation_id TEXT
  );
  `,
  // 2: resource operations crashed engine runs left pending, per stack (docs/reliability.md)
  `
  CREATE TABLE stack_pending_operations (
    stack TEXT PRIMARY KEY,
    operations TEXT NOT NULL,
    noted_at TEXT NOT NULL
  );
  `,
];
