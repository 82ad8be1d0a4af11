import type { Kysely } from 'kysely';
import type { GetTaskStatusRequest } from '../../mastercard/digital-enablement/schemas.js';
import type { SimulatorSchema } from '../token-connect/tables.js';

/** Kysely's view of mc_tasks (migration 0007). */
export interface McTasksTable {
  token_requestor_id: string;
  task_id: string;
  status: 'COMPLETED' | 'FAILED';
  token_unique_reference: string | null;
  created_at: Date;
}

export type TaskOutcome = { status: 'COMPLETED'; tokenUniqueReference: string } | { status: 'FAILED' };

type Db = Kysely<{ mc_tasks: McTasksTable }>;

/**
 * Keeps what became of a token requestor's task (its tokenize, named by its
 * own `taskId`, "unique across a given Token Requestor Identifier"). The
 * simulated MDES answers tokenize synchronously, so a task is recorded
 * finished; the first outcome of a taskId stays, so a retry that is refused
 * (its receipt already spent) does not turn a completed task into a failed one.
 */
export async function recordTask(
  db: Kysely<SimulatorSchema> | Kysely<unknown>,
  task: { tokenRequestorId: string; taskId: string },
  outcome: TaskOutcome,
  now: Date,
): Promise<void> {
  await (db as Db)
    .insertInto('mc_tasks')
    .values({
      token_requestor_id: task.tokenRequestorId,
      task_id: task.taskId,
      status: outcome.status,
      token_unique_reference: outcome.status === 'COMPLETED' ? outcome.tokenUniqueReference : null,
      created_at: now,
    })
    .onConflict((oc) => oc.columns(['token_requestor_id', 'task_id']).doNothing())
    .execute();
}

/** The task's status, or undefined for a taskId the token requestor never used. */
export async function taskStatus(
  db: Kysely<unknown>,
  request: GetTaskStatusRequest,
): Promise<McTasksTable['status'] | undefined> {
  const row = await (db as Db)
    .selectFrom('mc_tasks')
    .select('status')
    .where('token_requestor_id', '=', request.tokenRequestorId)
    .where('task_id', '=', request.taskId)
    .executeTakeFirst();
  return row?.status;
}
