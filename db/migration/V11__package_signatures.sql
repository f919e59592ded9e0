-- Rollback statements: the publisher's signed word that devices may go back a version (issue 14). A rollback
-- rollout keeps the statement it was made with (RollbackStatement.Signed as JSON: the exact text signed and its
-- signature), handed on with every offer of it; each statement is used for one rollback only, which the unique
-- statement id enforces (several nulls are allowed: rollouts made without one). The package's own signature needs
-- no column: updates.signature exists since V1 and now holds the upload's .sig JSON.
alter table rollouts add column rollback_statement text;
alter table rollouts add column rollback_statement_id uuid;
alter table rollouts add constraint rollouts_rollback_statement_id_key unique (rollback_statement_id);
