-- The project page lists a project's service tokens, and /projects counts them.
CREATE INDEX service_tokens_project ON service_tokens (project_id);
