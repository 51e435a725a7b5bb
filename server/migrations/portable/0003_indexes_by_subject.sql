-- The reads of "my data" and of staff looks find a subject's rows by subject, not by key.
CREATE INDEX device_links_by_user ON device_links (user_id);
CREATE INDEX withdrawals_by_subject ON withdrawals (subject);
CREATE INDEX audit_log_by_subject ON audit_log (subject);
