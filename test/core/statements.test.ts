import { describe, expect, it } from 'vitest';
import {
  currentStatementScope,
  emptyTally,
  labelStatementScope,
  StatementCounter,
  withStatementScope,
} from '../../src/core/statements.js';

describe('the statement counter', () => {
  it('counts every statement, and a transaction at its begin', () => {
    const counter = new StatementCounter();
    for (const sql of ['begin', 'insert into t values ($1)', 'commit', 'select 1', 'START TRANSACTION'])
      counter.observe(sql);
    expect(counter.total).toEqual({ statements: 5, transactions: 2 });
    expect(counter.outside).toEqual({ statements: 5, transactions: 2 });
  });

  it('adds what a unit of work runs, awaits included, to that unit and not to another', async () => {
    const counter = new StatementCounter();
    const a = emptyTally();
    const b = emptyTally();
    await Promise.all([
      withStatementScope(a, async () => {
        labelStatementScope('push.merchant');
        counter.observe('begin');
        await new Promise((r) => setTimeout(r, 5));
        counter.observe('select 1');
        counter.observe('commit');
      }),
      withStatementScope(b, async () => {
        await new Promise((r) => setTimeout(r, 1));
        counter.observe('select 2');
      }),
    ]);
    counter.observe('select 3');
    expect(a).toEqual({ statements: 3, transactions: 1, useCase: 'push.merchant' });
    expect(b).toEqual({ statements: 1, transactions: 0 });
    expect(counter.outside).toEqual({ statements: 1, transactions: 0 });
    expect(counter.total).toEqual({ statements: 5, transactions: 1 });
    expect(currentStatementScope()).toBeUndefined();
  });
});
