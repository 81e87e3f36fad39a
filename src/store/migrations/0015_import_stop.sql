-- Why an import stopped, as its run reports it (the import summary's `error`): the code, and the
-- line and column of a malformed file, kept apart from the message so the review gives the same
-- object the summary gave. And a file that stopped part-way has its copy in failed/ recorded as
-- that, apart from `archived_path` (the summary's `failedFilePath` and `archivedPath`).
ALTER TABLE imports
  ADD COLUMN error_code text,
  ADD COLUMN error_line integer,
  ADD COLUMN error_column integer,
  ADD COLUMN failed_file_path text;

-- Earlier imports: the place is the message's closing "(line L, column C)"; a file with a place
-- stopped part-way, and its recorded copy is the one in failed/.
UPDATE imports
   SET error_line = substring(error FROM '\(line (\d+), column \d+\)$')::integer,
       error_column = substring(error FROM '\(line \d+, column (\d+)\)$')::integer
 WHERE error IS NOT NULL;
UPDATE imports
   SET error_code = CASE
         WHEN error LIKE 'Interrupted:%' THEN 'IMPORT_INTERRUPTED'
         WHEN error_line IS NOT NULL THEN 'INVALID_REQUEST'
         ELSE 'GENERAL_ERROR'
       END
 WHERE error IS NOT NULL;
UPDATE imports SET failed_file_path = archived_path, archived_path = NULL
 WHERE status = 'failed' AND error_line IS NOT NULL AND archived_path IS NOT NULL;
